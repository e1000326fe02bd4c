import { DeleteObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import request from 'supertest';
import { blockDocuments, clearDocumentFaults, documentsAtGate, gateDocuments } from '../factories/db-faults';
import { InterruptedRuns } from '../../src/retry/use-cases/interrupted-runs';
import { putObjects, textFiles } from '../factories/s3-objects';
import { finishAndCheck, startTestApp, TestApp, waitForProgram } from '../support/test-app';
import { until } from '../support/wait';

const USER = 'retry-user';
const zero = { retried: 0, success: 0, failed: 0 };

/** Resolves with the first `n` answers to arrive, in the order they arrived. */
function settledCount<T>(calls: Promise<T>[], n: number): Promise<T[]> {
  const done: T[] = [];
  return new Promise((resolve, reject) => {
    for (const c of calls) {
      c.then((v) => {
        done.push(v);
        if (done.length === n) resolve([...done]);
      }, reject);
    }
  });
}

describe('manual retry', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp();
  });

  afterEach(async () => {
    await clearDocumentFaults(t.db);
  });

  afterAll(async () => {
    await t?.close();
  });

  const create = async (files: string[]) => {
    const res = await request(t.server).post('/v1/programs').query({ user_id: USER }).send({ name: 'retry', files });
    expect(res.status).toBe(202);
    return res.body.program_id as string;
  };
  const retry = (programId: string, retryType?: string, user = USER) =>
    request(t.server)
      .post(`/v1/programs/${programId}/retry`)
      .query({ user_id: user, ...(retryType ? { retry_type: retryType } : {}) });

  it('retries preprocessing failures once their sources exist, and stores their Documents in the same call', async () => {
    const specs = textFiles(20, 'late');
    const late = [2, 7, 11, 19];
    const junk = 4;
    specs[junk] = { key: 'late/junk.txt', body: Buffer.from(Array.from({ length: 2048 }, (_, i) => (i * 97) % 256)) };
    await putObjects(
      t.s3,
      t.sourceBucket,
      specs.filter((_, i) => !late.includes(i)),
    );
    const files = specs.map((s) => `s3://${t.sourceBucket}/${s.key}`);
    const programId = await create(files);
    const first = await finishAndCheck(t, programId, USER, files);
    expect(first.metadata_json.preprocessing.summary).toEqual({ total: 20, success: 15, failed: 5 });

    await putObjects(
      t.s3,
      t.sourceBucket,
      late.map((i) => specs[i]),
    );
    const res = await retry(programId, 'preprocessing');

    expect(res.status).toBe(200);
    if (res.body.results?.preprocessing?.failed !== 1) {
      // Say why, should a late file still fail (seen once on a heavily loaded machine).
      const f = await request(t.server).get(`/v1/programs/${programId}/failures`).query({ user_id: USER });
      throw new Error(
        `unexpected retry results ${JSON.stringify(res.body.results)}; failures: ${JSON.stringify(f.body.items)}`,
      );
    }
    expect(res.body).toEqual({
      program_id: programId,
      retry_id: expect.stringMatching(/^[1-9]\d*$/),
      retry_type: 'preprocessing',
      results: {
        preprocessing: { retried: 5, success: 4, failed: 1 },
        document: { retried: 4, success: 4, failed: 0 },
      },
      skipped: 0,
      message: '재시도 완료',
    });
    const after = await finishAndCheck(t, programId, USER, files);
    expect(after.status).toBe('completed_with_failures');
    expect(after.metadata_json.preprocessing.summary).toEqual({ total: 20, success: 19, failed: 1 });
    expect(after.metadata_json.total_successful_documents).toBe(19);
    expect(after.metadata_json.preprocessing.failed_files).toEqual([
      expect.objectContaining({ index: junk, error_code: 'UNSUPPORTED_TYPE', retry_count: 1, retryable: false }),
    ]);
    expect(after.metadata_json.retry_history).toEqual([
      {
        retry_type: 'preprocessing',
        trigger: 'manual',
        timestamp: expect.stringMatching(/Z$/),
        results: res.body.results,
      },
    ]);

    // Nothing left at the Document stage: still 200, zeros, and still recorded.
    const empty = await retry(programId, 'document');
    expect(empty.status).toBe(200);
    expect(empty.body.results).toEqual({ preprocessing: zero, document: zero });
    const last = await finishAndCheck(t, programId, USER, files);
    expect(last.metadata_json.retry_history).toHaveLength(2);
  });

  it('retries Document failures from their processed JSON, and remakes a missing one with retry_type=all', async () => {
    await blockDocuments(t.db, 'NEW.source_index % 5 = 0');
    const files = await putObjects(t.s3, t.sourceBucket, textFiles(20, 'docfail'));
    const programId = await create(files);
    const first = await finishAndCheck(t, programId, USER, files);
    expect(first.metadata_json.document_storage.summary).toEqual({ total: 20, success: 16, failed: 4 });
    const failed = first.metadata_json.document_storage.failed_files;
    expect(failed.map((f: { source_index: number }) => f.source_index)).toEqual([0, 5, 10, 15]);
    expect(failed[1]).toEqual({
      json_key: 'json_file_5',
      filename: `processed_${programId}_5.json`,
      s3_path: `s3://${t.bucket}/programs/${programId}/processed_${programId}_5.json`,
      source_file_path: files[5],
      source_index: 5,
      error: expect.stringContaining('document refused by test trigger'),
      timestamp: expect.stringMatching(/Z$/),
      retry_count: 0,
      error_code: 'DOCUMENT_STORE_FAILED',
      retryable: true,
      next_retry_at: expect.stringMatching(/Z$/),
      exhausted: false,
    });

    await clearDocumentFaults(t.db);
    await t.s3.send(
      new DeleteObjectCommand({ Bucket: t.bucket, Key: `programs/${programId}/processed_${programId}_5.json` }),
    );
    const docRetry = await retry(programId, 'document');
    expect(docRetry.status).toBe(200);
    expect(docRetry.body.results).toEqual({ preprocessing: zero, document: { retried: 4, success: 3, failed: 1 } });
    const mid = await finishAndCheck(t, programId, USER, files);
    expect(mid.metadata_json.document_storage.failed_files).toEqual([
      expect.objectContaining({ source_index: 5, error_code: 'PROCESSED_JSON_MISSING', retry_count: 1 }),
    ]);

    const allRetry = await retry(programId); // retry_type defaults to all
    expect(allRetry.status).toBe(200);
    expect(allRetry.body.retry_type).toBe('all');
    expect(allRetry.body.results).toEqual({
      preprocessing: { retried: 1, success: 1, failed: 0 },
      document: { retried: 1, success: 1, failed: 0 },
    });
    const done = await finishAndCheck(t, programId, USER, files);
    expect(done.status).toBe('completed');
    expect(done.metadata_json.total_successful_documents).toBe(20);
    expect(done.metadata_json.retry_history.map((h: { retry_type: string }) => h.retry_type)).toEqual([
      'document',
      'all',
    ]);
  });

  it('counts a file whose Document is stored as done even when a later pass over it fails', async () => {
    // What a holder whose lease ran out between storing a Document and recording it leaves behind:
    // the Document, on a file that is worked again. Here the source is gone by then.
    const specs = textFiles(3, 'stored-then-lost');
    const files = await putObjects(t.s3, t.sourceBucket, specs.slice(0, 2));
    files.push(`s3://${t.sourceBucket}/${specs[2].key}`);
    const programId = await create(files);
    await waitForProgram(t, programId, USER);
    // The lost holder had written the file's processed JSON, then its Document.
    const key = `programs/${programId}/processed_${programId}_2.json`;
    const json = { schema_version: 1, program_id: programId, source_index: 2, source_file_path: files[2] };
    await t.s3.send(new PutObjectCommand({ Bucket: t.bucket, Key: key, Body: JSON.stringify(json) }));
    await t.db.query(
      `INSERT INTO documents (id, program_id, source_index, source_file_path, s3_path, title, content_type,
         characters, chunk_count, sha256)
       VALUES ('doc_stored_by_the_lost_holder', $1, 2, $2, $3, 'x', 'text/plain', 1, 1, $4)`,
      [programId, files[2], `s3://${t.bucket}/${key}`, 'f'.repeat(64)],
    );

    const res = await retry(programId, 'preprocessing');
    expect(res.status).toBe(200);
    // The pass failed (the source is missing) and yet the file is done, with the Document it has.
    expect(res.body.results.preprocessing).toEqual({ retried: 1, success: 1, failed: 0 });
    const program = await finishAndCheck(t, programId, USER, files);
    expect(program.status).toBe('completed');
    const file = await t.db.query(
      `SELECT f.state, a.outcome FROM program_files f
       JOIN file_attempts a ON a.program_id = f.program_id AND a.source_index = f.source_index AND a.attempt = 2
       WHERE f.program_id = $1 AND f.source_index = 2`,
      [programId],
    );
    expect(file.rows).toEqual([{ state: 'done', outcome: 'succeeded' }]);
  });

  it('a retry that wrote its summary but died before ending its run: the sweep ends it, history listed once', async () => {
    const specs = textFiles(4, 'summary-then-crash');
    const files = await putObjects(t.s3, t.sourceBucket, specs.slice(0, 3));
    files.push(`s3://${t.sourceBucket}/${specs[3].key}`);
    const programId = await create(files);
    await waitForProgram(t, programId, USER);
    await putObjects(t.s3, t.sourceBucket, specs.slice(3));
    expect((await retry(programId)).status).toBe(200);
    const after = await request(t.server).get(`/v1/programs/${programId}`).query({ user_id: USER });
    expect(after.body.metadata_json.retry_history).toHaveLength(1);

    // The state a crash between the two last steps leaves: summary written (the run listed), run not ended.
    await t.db.query(`UPDATE retry_runs SET status = 'running', finished_at = NULL WHERE program_id = $1`, [programId]);
    const ended = await t.app.get(InterruptedRuns).sweep();
    expect(ended).toHaveLength(1);
    const runs = await t.db.query(`SELECT status, results FROM retry_runs WHERE program_id = $1`, [programId]);
    expect(runs.rows).toEqual([{ status: 'interrupted', results: after.body.metadata_json.retry_history[0].results }]);
    const program = await finishAndCheck(t, programId, USER, files);
    expect(program.status).toBe('completed');
    expect(program.metadata_json.retry_history).toEqual(after.body.metadata_json.retry_history);
  });

  it('a retry whose summary cannot be written leaves its run running, and the sweep finishes both', async () => {
    const specs = textFiles(4, 'summary-refused');
    const files = await putObjects(t.s3, t.sourceBucket, specs.slice(0, 3));
    files.push(`s3://${t.sourceBucket}/${specs[3].key}`);
    const programId = await create(files);
    await waitForProgram(t, programId, USER);
    await putObjects(t.s3, t.sourceBucket, specs.slice(3));

    // The summary write fails (as if the process died there): the run must not be ended without it.
    await t.db.query(`CREATE FUNCTION refuse_summary() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'summary refused'; END $$`);
    await t.db.query(`CREATE TRIGGER refuse_summary BEFORE UPDATE ON program_states
      FOR EACH ROW EXECUTE FUNCTION refuse_summary()`);
    try {
      expect((await retry(programId)).status).toBe(500);
    } finally {
      await t.db.query('DROP TRIGGER refuse_summary ON program_states');
      await t.db.query('DROP FUNCTION refuse_summary()');
    }
    const run = await t.db.query(`SELECT status FROM retry_runs WHERE program_id = $1`, [programId]);
    expect(run.rows).toEqual([{ status: 'running' }]);

    expect(await t.app.get(InterruptedRuns).sweep()).toHaveLength(1);
    const program = await finishAndCheck(t, programId, USER, files);
    expect(program.status).toBe('completed');
    expect(program.metadata_json.retry_history).toEqual([
      expect.objectContaining({
        trigger: 'manual',
        results: expect.objectContaining({ preprocessing: { retried: 1, success: 1, failed: 0 } }),
      }),
    ]);
  });

  it('lets exactly one of 20 simultaneous retries run; the others get 409 PROGRAM_BUSY', async () => {
    await blockDocuments(t.db, 'true');
    const files = await putObjects(t.s3, t.sourceBucket, textFiles(8, 'race'));
    const programId = await create(files);
    await finishAndCheck(t, programId, USER, files);
    await clearDocumentFaults(t.db);
    // Document inserts wait at a gate: the one retry that runs cannot finish before the test says,
    // so every other call certainly meets it running.
    const gate = await gateDocuments(t.db);
    const calls = Array.from({ length: 20 }, () => retry(programId, 'document').then((r) => r));
    const early = await settledCount(calls, 19);
    expect(early.map((a) => a.status)).toEqual(Array(19).fill(409));
    await gate.release();
    const answers = await Promise.all(calls);
    await clearDocumentFaults(t.db);

    const ok = answers.filter((a) => a.status === 200);
    const busy = answers.filter((a) => a.status === 409);
    expect(ok).toHaveLength(1);
    expect(busy).toHaveLength(19);
    for (const b of busy) {
      expect(b.body).toEqual({ statusCode: 409, error: 'Conflict', message: expect.any(String), code: 'PROGRAM_BUSY' });
    }
    expect(ok[0].body.results.document).toEqual({ retried: 8, success: 8, failed: 0 });
    await clearDocumentFaults(t.db);
    const after = await finishAndCheck(t, programId, USER, files);
    expect(after.metadata_json.retry_history).toHaveLength(1);
  });

  it('answers 409 while the first run is still going, and 404/400 to the wrong caller or type', async () => {
    // The first run's Documents wait at a gate: it is certainly still going when the retry asks.
    const gate = await gateDocuments(t.db);
    const files = await putObjects(t.s3, t.sourceBucket, textFiles(40, 'busy'));
    const programId = await create(files);
    await until(async () => (await documentsAtGate(t.db)) > 0, 'a Document insert held at the gate');

    const during = await retry(programId, 'all');
    expect(during.status).toBe(409);
    expect(during.body.code).toBe('PROGRAM_BUSY');

    const stranger = await retry(programId, 'all', 'someone-else');
    expect(stranger.status).toBe(404);
    expect(stranger.body.code).toBe('PROGRAM_NOT_FOUND');
    const badType = await retry(programId, 'everything');
    expect(badType.status).toBe(400);
    expect(badType.body.code).toBe('INVALID_RETRY_TYPE');

    await gate.release();
    await clearDocumentFaults(t.db);
    const done = await waitForProgram(t, programId, USER);
    expect(done.metadata_json.retry_history).toEqual([]);
    await finishAndCheck(t, programId, USER, files);
  });
});
