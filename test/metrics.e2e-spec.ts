import request from 'supertest';
import { RetryScheduler } from '../src/retry/retry.scheduler';
import { clearDocumentFaults, documentsAtGate, gateDocuments } from './factories/db-faults';
import { putObjects, textFiles } from './factories/s3-objects';
import { finishAndCheck, startTestApp, TestApp } from './support/test-app';

const USER = 'metrics-user';

/** Parses Prometheus text into `name{labels}` → value. */
function scrape(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const i = line.lastIndexOf(' ');
    out.set(line.slice(0, i), Number(line.slice(i + 1)));
  }
  return out;
}

async function waitFor(cond: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('GET /metrics', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp();
  });

  afterAll(async () => {
    await t?.close();
  });

  it('counts outcomes by stage and code, retries by trigger, conflicts, rounds and program runs', async () => {
    const specs = textFiles(5, 'metrics');
    await putObjects(t.s3, t.sourceBucket, specs.slice(0, 3));
    const files = specs.map((s) => `s3://${t.sourceBucket}/${s.key}`);
    // Document inserts held at a gate: the first run is certainly still going on when the retry asks.
    const gate = await gateDocuments(t.db);
    const created = await request(t.server).post('/v1/programs').query({ user_id: USER }).send({ name: 'm', files });
    const programId = created.body.program_id;
    await waitFor(async () => (await documentsAtGate(t.db)) >= 1);
    // Asked while the first run has not finished: refused, and counted as a lock conflict.
    const early = await request(t.server).post(`/v1/programs/${programId}/retry`).query({ user_id: USER });
    expect(early.status).toBe(409);
    await gate.release();
    await clearDocumentFaults(t.db);
    await finishAndCheck(t, programId, USER, files);

    await putObjects(t.s3, t.sourceBucket, [specs[3]]);
    const retry = await request(t.server)
      .post(`/v1/programs/${programId}/retry`)
      .query({ user_id: USER, retry_type: 'preprocessing' });
    expect(retry.body.results.preprocessing).toEqual({ retried: 2, success: 1, failed: 1 });
    await t.app.get(RetryScheduler).runRound();
    await finishAndCheck(t, programId, USER, files);

    const res = await request(t.server).get('/metrics');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    const m = scrape(res.text);
    expect(m.get('ingest_files_total{stage="preprocessing",outcome="success",error_code=""}')).toBe(4);
    expect(m.get('ingest_files_total{stage="preprocessing",outcome="failure",error_code="SOURCE_NOT_FOUND"}')).toBe(3);
    expect(m.get('ingest_files_total{stage="document",outcome="success",error_code=""}')).toBe(4);
    expect(m.get('ingest_retry_attempts_total{trigger="manual",stage="preprocessing"}')).toBe(2);
    expect(m.get('ingest_retry_successes_total{trigger="manual",stage="preprocessing"}')).toBe(1);
    expect(m.get('ingest_retry_attempts_total{trigger="manual",stage="document"}')).toBe(1);
    expect(m.get('ingest_retry_successes_total{trigger="manual",stage="document"}')).toBe(1);
    expect(m.get('ingest_lock_conflicts_total')).toBe(1);
    expect(m.get('ingest_scheduler_rounds_total')).toBe(1);
    expect(m.get('ingest_program_run_duration_seconds_count{status="completed_with_failures"}')).toBe(1);
    expect(m.get('ingest_files_in_flight')).toBe(0);
    expect(m.get('ingest_fenced_writes_total')).toBe(0);
    expect(m.get('process_cpu_user_seconds_total')).toEqual(expect.any(Number));
  });
});
