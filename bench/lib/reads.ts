/** Read latency of the endpoints clients poll, with full bodies and with If-None-Match. */
import autocannon from 'autocannon';
import { USER } from './api';
import { log, round, sleep, thousands } from './util';

export interface ReadRun {
  name: string;
  path: string;
  ifNoneMatch: boolean;
  status: number;
  bytes: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
  requestsPerSecond: number;
  requests: number;
  non2xx: number;
  errors: number;
}

export async function readLatency(
  baseUrl: string,
  programId: string,
  o: { connections: number; seconds: number },
): Promise<ReadRun[]> {
  const program = `/v1/programs/${programId}?user_id=${USER}`;
  const head = await fetch(baseUrl + program);
  const etag = head.headers.get('etag');
  await head.arrayBuffer();
  if (!etag) throw new Error('GET /v1/programs/{id} gave no ETag');
  const cases: Array<{ name: string; path: string; ifNoneMatch: boolean }> = [
    { name: 'GET /v1/programs/{id}, full body', path: program, ifNoneMatch: false },
    { name: 'GET /v1/programs/{id}, If-None-Match (304)', path: program, ifNoneMatch: true },
    { name: 'GET /v1/programs (list, 20 per page)', path: `/v1/programs?user_id=${USER}&limit=20`, ifNoneMatch: false },
    {
      name: 'GET /v1/programs/{id}/failures (100 per page)',
      path: `/v1/programs/${programId}/failures?user_id=${USER}&limit=100`,
      ifNoneMatch: false,
    },
  ];
  const out: ReadRun[] = [];
  for (const c of cases) {
    const probe = await fetch(baseUrl + c.path, { headers: c.ifNoneMatch ? { 'if-none-match': etag } : {} });
    const bytes = Buffer.byteLength(await probe.text());
    await sleep(500);
    log(`reads: ${c.name}: autocannon, ${o.connections} connections for ${o.seconds} s (${thousands(bytes)} bytes)`);
    const r = await autocannon({
      url: baseUrl + c.path,
      connections: o.connections,
      duration: o.seconds,
      headers: c.ifNoneMatch ? { 'if-none-match': etag } : undefined,
    });
    const expected = c.ifNoneMatch ? 304 : 200;
    const run: ReadRun = {
      ...c,
      status: probe.status,
      bytes,
      p50: r.latency.p50,
      p90: r.latency.p90,
      p99: r.latency.p99,
      max: r.latency.max,
      mean: round(r.latency.average, 2),
      requestsPerSecond: round(r.requests.average, 1),
      requests: r.requests.total,
      // autocannon counts 304 as non-2xx: report the answers other than the expected one.
      non2xx: c.ifNoneMatch ? r.requests.total - (r['3xx'] ?? 0) : r.non2xx,
      errors: r.errors + r.timeouts,
    };
    if (probe.status !== expected) throw new Error(`${c.name}: answered ${probe.status}, expected ${expected}`);
    log(`  p50 ${run.p50} ms, p99 ${run.p99} ms, max ${run.max} ms, ${run.requestsPerSecond} req/s`);
    out.push(run);
  }
  return out;
}
