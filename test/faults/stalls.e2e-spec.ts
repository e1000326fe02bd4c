import { PutObjectCommand } from '@aws-sdk/client-s3';
import { documentsAtGate, gateDocuments, clearDocumentFaults, programLockIsFree } from '../factories/db-faults';
import { putObjects, textFiles } from '../factories/s3-objects';
import { S3FaultProxy } from '../support/s3-proxy';
import { FaultHarness } from './harness';

const USER = 'stall-user';

interface FileRow {
  state: string;
  error_code: string | null;
  retry_count: number;
}

/**
 * Stalls rather than outages: a dependency that accepts a request and never answers, and a
 * shutdown that arrives while work is held in flight. The built service runs as its own process.
 */
describe('stalls', () => {
  let h: FaultHarness;
  let proxy: S3FaultProxy | undefined;

  beforeEach(async () => {
    h = await FaultHarness.create();
  });

  afterEach(async () => {
    await proxy?.stop();
    proxy = undefined;
    await h?.close();
  });

  const fileRow = async (programId: string, index: number): Promise<FileRow> =>
    (
      await h.db.query(
        'SELECT state, error_code, retry_count FROM program_files WHERE program_id = $1 AND source_index = $2',
        [programId, index],
      )
    ).rows[0];

  it('a GET that S3 accepts and never answers, during scheduled retries: fails STORAGE_UNAVAILABLE, rounds go on', async () => {
    proxy = new S3FaultProxy(h.s3Endpoint);
    const endpoint = await proxy.start();
    const files = await putObjects(h.s3, h.sourceBucket, textFiles(3, 'stall-ok'));
    const late = `s3://${h.sourceBucket}/late/stalled.txt`;
    const service = await h.startService({
      S3_ENDPOINT: endpoint,
      S3_REQUEST_TIMEOUT_MS: '1000',
      // Far longer than the S3 deadline: the deadline, not the per-file limit, must end the stall.
      PREPROCESS_TIMEOUT_MS: '60000',
      RETRY_SCHEDULER_ENABLED: 'true',
      RETRY_SCAN_INTERVAL_MS: '300',
      RETRY_BACKOFF_BASE_MS: '100',
      RETRY_BACKOFF_MAX_MS: '200',
      RETRY_MAX_ATTEMPTS: '50',
    });
    const programId = await h.createProgram(service, USER, [...files, late]);
    await h.waitFor(
      async () => (await h.getProgram(service, programId, USER)).status === 'completed_with_failures',
      'first run settled',
    );
    // The scheduler may take the file up again at once: its first attempt's record is what the run left.
    const firstAttempt = await h.db.query(
      `SELECT error_code FROM file_attempts WHERE program_id = $1 AND source_index = 3 AND attempt = 1`,
      [programId],
    );
    expect(firstAttempt.rows).toEqual([{ error_code: 'SOURCE_NOT_FOUND' }]);

    // The file arrives, but every GET of it now hangs: accepted, never answered.
    proxy.stall = /\/late\/stalled\.txt/;
    await h.s3.send(new PutObjectCommand({ Bucket: h.sourceBucket, Key: 'late/stalled.txt', Body: 'arrived late' }));
    await h.waitFor(
      async () => (await fileRow(programId, 3)).error_code === 'STORAGE_UNAVAILABLE',
      'a stalled GET cut off by the deadline',
      30_000,
    );
    const first = (await fileRow(programId, 3)).retry_count;
    // Further rounds take the program's lock again and try again: the stalled attempt freed it.
    await h.waitFor(async () => (await fileRow(programId, 3)).retry_count >= first + 2, 'two more rounds', 30_000);
    expect(await fileRow(programId, 3)).toMatchObject({
      state: 'preprocessing_failed',
      error_code: 'STORAGE_UNAVAILABLE',
    });
    const record = (await h.getProgram(service, programId, USER)).metadata_json.preprocessing.failed_files[0];
    expect(record).toMatchObject({ index: 3, error_code: 'STORAGE_UNAVAILABLE', retryable: true, exhausted: false });
    expect(record.error).toMatch(/did not answer within 1000 ms/);
    expect(record.error).not.toMatch(/127\.0\.0\.1|localhost/);

    // S3 answers again: the next round completes the program, and nobody holds it afterwards.
    proxy.stall = undefined;
    await h.waitFor(
      async () => (await h.getProgram(service, programId, USER)).status === 'completed',
      'completed',
      30_000,
    );
    const r = await h.check(service, programId, USER, [...files, late]);
    expect({ documents: r.documents, duplicates: r.duplicates, lost: r.lost }).toEqual({
      documents: 4,
      duplicates: 0,
      lost: 0,
    });
    expect(await programLockIsFree(h.db, programId)).toBe(true);
    expect(service.child.exitCode).toBeNull();
  });

  it('SIGTERM while files are in flight: readiness 503 and retries 503 SHUTTING_DOWN at once, then a clean exit', async () => {
    const files = await putObjects(h.s3, h.sourceBucket, textFiles(6, 'drain'));
    const service = await h.startService({ PROCESSING_CONCURRENCY: '2', SHUTDOWN_GRACE_MS: '60000' });
    const gate = await gateDocuments(h.db);
    const programId = await h.createProgram(service, USER, files);
    // Documents wait at the gate (inserts of files finishing together share a statement): the run
    // is in flight for as long as the test holds the gate.
    await h.waitFor(async () => (await documentsAtGate(h.db)) >= 1, 'Document inserts held at the gate', 30_000);

    service.child.kill('SIGTERM');
    await h.waitFor(
      async () => (await fetch(`${service.baseUrl}/health/ready`)).status === 503,
      'readiness 503',
      5_000,
    );
    const ready = await fetch(`${service.baseUrl}/health/ready`);
    expect(await ready.json()).toMatchObject({ statusCode: 503, code: 'SHUTTING_DOWN' });
    const retry = await fetch(`${service.baseUrl}/v1/programs/${programId}/retry?user_id=${USER}`, { method: 'POST' });
    expect(retry.status).toBe(503);
    expect(retry.headers.get('retry-after')).toBe('1');
    expect(await retry.json()).toMatchObject({ code: 'SHUTTING_DOWN' });
    expect(service.child.exitCode).toBeNull();

    // The files in flight finish once released; the process then exits cleanly, lock released.
    await gate.release();
    expect(await service.exited).toBe(0);
    expect(await programLockIsFree(h.db, programId)).toBe(true);
    await clearDocumentFaults(h.db);

    const next = await h.startService({ RETRY_SCHEDULER_ENABLED: 'true', RETRY_SCAN_INTERVAL_MS: '300' });
    await h.waitFor(
      async () => (await h.getProgram(next, programId, USER)).status === 'completed',
      'completed after restart',
    );
    const r = await h.check(next, programId, USER, files);
    expect({ documents: r.documents, duplicates: r.duplicates, lost: r.lost }).toEqual({
      documents: 6,
      duplicates: 0,
      lost: 0,
    });
  });
});
