import request from 'supertest';
import { RetryScheduler } from '../src/retry/retry.scheduler';
import { clearDocumentFaults, documentsAtGate, gateDocuments } from './factories/db-faults';
import { putObjects, textFiles } from './factories/s3-objects';
import { finishAndCheck, startTestApp, TestApp } from './support/test-app';
import { until } from './support/wait';

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
    await until(async () => (await documentsAtGate(t.db)) >= 1, 'a Document at the gate', 30_000);
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

  it('counts HTTP answers by route template, times each stage, reports the backlog and the build', async () => {
    const specs = textFiles(6, 'http-metrics');
    const files = await putObjects(t.s3, t.sourceBucket, specs.slice(0, 4));
    files.push(...specs.slice(4).map((s) => `s3://${t.sourceBucket}/${s.key}`));
    const before = scrape((await request(t.server).get('/metrics')).text);
    const created = await request(t.server).post('/v1/programs').query({ user_id: USER }).send({ name: 'h', files });
    const programId = created.body.program_id as string;
    await finishAndCheck(t, programId, USER, files);
    await request(t.server).get(`/v1/programs/${programId}`).query({ user_id: USER }).expect(200);
    await request(t.server).get('/v1/programs/prog_000000000000000000000000').query({ user_id: USER }).expect(404);
    await request(t.server).get('/no/such/path/42').expect(404);

    const after = scrape((await request(t.server).get('/metrics')).text);
    const delta = (key: string) => (after.get(key) ?? 0) - (before.get(key) ?? 0);
    // Ids never reach a label: one series per route template and status.
    expect(
      delta('http_requests_total{method="GET",route="/v1/programs/:programId",status="200"}'),
    ).toBeGreaterThanOrEqual(1);
    expect(delta('http_requests_total{method="GET",route="/v1/programs/:programId",status="404"}')).toBe(1);
    expect(delta('http_requests_total{method="POST",route="/v1/programs",status="202"}')).toBe(1);
    expect(delta('http_requests_total{method="GET",route="unmatched",status="404"}')).toBe(1);
    expect([...after.keys()].some((k) => k.includes(programId))).toBe(false);
    expect(delta('http_request_duration_seconds_count{method="POST",route="/v1/programs",status_class="2xx"}')).toBe(1);

    // Four files read and stored, two missing sources: every pass through a stage is timed.
    expect(delta('ingest_stage_duration_seconds_count{stage="preprocessing",outcome="success"}')).toBe(4);
    expect(delta('ingest_stage_duration_seconds_count{stage="preprocessing",outcome="failure"}')).toBe(2);
    expect(delta('ingest_stage_duration_seconds_count{stage="document",outcome="success"}')).toBe(4);

    // Nothing is waiting or leased once the program has settled; its two failures are not exhausted.
    for (const state of ['pending', 'leased', 'exhausted']) {
      expect(after.get(`ingest_backlog_files{state="${state}"}`)).toBe(0);
    }
    const build = [...after.keys()].find((k) => k.startsWith('ingest_build_info{'));
    expect(build).toMatch(/version="\d+\.\d+\.\d+".*node="v\d+/);
    expect(after.get(build!)).toBe(1);
  });
});
