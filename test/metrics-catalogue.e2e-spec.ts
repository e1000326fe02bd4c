import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import request from 'supertest';
import { startTestApp, TestApp } from './support/test-app';

const MONITORING = join(__dirname, '..', 'deploy', 'monitoring');

/** Metric names a PromQL text refers to (this service's and the process's), without histogram suffixes. */
function metricNames(text: string): Set<string> {
  const names = new Set<string>();
  for (const m of text.matchAll(/\b((?:ingest|http|process)_[a-z_]+)\b/g)) {
    names.add(m[1].replace(/_(bucket|count|sum)$/, ''));
  }
  return names;
}

/**
 * The dashboard and the alert rules in deploy/monitoring name only metrics the service exposes: a
 * renamed metric would otherwise leave a silent alert and an empty panel. (promtool checks the
 * rules' syntax and behaviour in CI; this checks them against the service itself.)
 */
describe('monitoring artefacts', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp();
  });

  afterAll(async () => {
    await t?.close();
  });

  it('refer only to metrics that GET /metrics exposes', async () => {
    const exposed = new Set(
      (await request(t.server).get('/metrics')).text
        .split('\n')
        .filter((l) => l.startsWith('# TYPE '))
        .map((l) => l.split(' ')[2]),
    );
    const dashboard = JSON.parse(readFileSync(join(MONITORING, 'grafana-dashboard.json'), 'utf8')) as {
      panels: { targets: { expr: string }[] }[];
    };
    const used = metricNames(dashboard.panels.flatMap((p) => p.targets.map((x) => x.expr)).join('\n'));
    for (const n of metricNames(readFileSync(join(MONITORING, 'alerts.yaml'), 'utf8'))) used.add(n);
    expect(used.size).toBeGreaterThan(10);
    expect([...used].filter((n) => !exposed.has(n))).toEqual([]);
  });
});
