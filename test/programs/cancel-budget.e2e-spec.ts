import request from 'supertest';
import { RetryScheduler } from '../../src/retry/retry.scheduler';
import { clearDocumentFaults, documentsAtGate, gateDocuments, slowDocuments } from '../factories/db-faults';
import { putObjects, textFiles } from '../factories/s3-objects';
import { finishAndCheck, ManualClock, startTestApp, TestApp } from '../support/test-app';
import { eventually } from '../support/wait';

const USER = 'stop-user';
const LEASE_TTL_MS = 2_000;

const countDocuments = async (t: TestApp, programId: string): Promise<number> =>
  (await t.db.query('SELECT count(*)::int AS n FROM documents WHERE program_id = $1', [programId])).rows[0].n;

describe('cancel and the failure budget', () => {
  let t: TestApp;
  let other: TestApp;
  const clock = new ManualClock(new Date('2030-01-01T00:00:00.000Z'));

  beforeAll(async () => {
    const env = { LEASE_TTL_MS: String(LEASE_TTL_MS), RETRY_BACKOFF_BASE_MS: '1000', RETRY_BACKOFF_MAX_MS: '1000' };
    t = await startTestApp(env, { clock });
    // A second replica on the same database and buckets: the cancel must stop both.
    other = await startTestApp(
      { ...env, S3_BUCKET: t.bucket },
      { database: t.databaseUrl, sourceBucket: t.sourceBucket, clock },
    );
  });

  afterEach(async () => {
    await clearDocumentFaults(t.db);
  });

  afterAll(async () => {
    await other?.close();
    await t?.close();
  });

  const create = async (files: string[], extra: Record<string, unknown> = {}) => {
    const res = await request(t.server)
      .post('/v1/programs')
      .query({ user_id: USER })
      .send({ name: 'stop', files, ...extra });
    expect(res.status).toBe(202);
    return res.body.program_id as string;
  };
  const cancel = (programId: string, user = USER) =>
    request(other.server).post(`/v1/programs/${programId}/cancel`).query({ user_id: user });

  // 3,000 files on two app instances take minutes on a busy 2-core machine: the bound only stops a hang.
  it('cancels a 3,000-file run on two replicas: cancelled at once, nothing written after, counts balance', async () => {
    const files = await putObjects(t.s3, t.sourceBucket, textFiles(3000, 'cancel'));
    // Document inserts wait at a gate the test holds, so the program is certainly mid-run.
    const gate = await gateDocuments(t.db);
    let released = false;
    try {
      const programId = await create(files);
      await eventually(async () => ((await documentsAtGate(t.db)) > 0 ? true : undefined), 'Documents at the gate');

      // The cancel fences every unsettled file; the inserts at the gate hold their files' rows, so
      // it waits for them: open the gate once it does, and those Documents land before it answers.
      const answer = cancel(programId).then((r) => r);
      await eventually(async () => {
        const waiting = await t.db.query(
          `SELECT count(*)::int AS n FROM pg_stat_activity
           WHERE wait_event_type = 'Lock' AND query LIKE '%epoch = f.epoch + 1%'`,
        );
        return waiting.rows[0].n > 0 ? true : undefined;
      }, 'the cancel to wait for the files in flight');
      await gate.release();
      released = true;
      const res = await answer;
      const answeredAt = Date.now();
      expect(res.status).toBe(202);
      expect(res.body).toEqual({ program_id: programId, status: 'cancelled' });
      const documentsAtAnswer = await countDocuments(t, programId);

      const status = await request(t.server).get(`/v1/programs/${programId}`).query({ user_id: USER });
      expect(status.body.status).toBe('cancelled');
      // Work in flight on either replica notices at its next lease renewal (every TTL/3) and its
      // writes are fenced: over two lease lifetimes not one more Document may appear.
      await new Promise((r) => setTimeout(r, 2 * LEASE_TTL_MS - (Date.now() - answeredAt)));
      expect(await countDocuments(t, programId)).toBe(documentsAtAnswer);

      const program = await finishAndCheck(t, programId, USER, files);
      const pre = program.metadata_json.preprocessing.summary;
      expect(pre.total).toBe(3000);
      expect(pre.failed).toBeGreaterThan(0);
      expect(program.metadata_json.total_successful_documents).toBe(documentsAtAnswer);
      const cancelled = await t.db.query(
        `SELECT count(*)::int AS n FROM program_files
         WHERE program_id = $1 AND state = 'preprocessing_failed' AND error_code = 'CANCELLED' AND NOT retryable`,
        [programId],
      );
      expect(cancelled.rows[0].n).toBe(pre.failed);

      // Settled: a second cancel has nothing to stop.
      expect((await cancel(programId)).body).toMatchObject({ statusCode: 409, code: 'PROGRAM_NOT_RUNNING' });

      // A manual retry takes the cancelled files through, and the program is an ordinary one again.
      const retried = await request(t.server).post(`/v1/programs/${programId}/retry`).query({ user_id: USER });
      expect(retried.status).toBe(200);
      expect(retried.body.results.preprocessing).toEqual({ retried: pre.failed, success: pre.failed, failed: 0 });
      const after = await finishAndCheck(t, programId, USER, files);
      expect(after.status).toBe('completed');
      expect(after.metadata_json.total_successful_documents).toBe(3000);
    } finally {
      if (!released) await gate.release();
    }
  }, 300_000);

  it('answers 404 to another user and leaves the program running', async () => {
    const files = await putObjects(t.s3, t.sourceBucket, textFiles(3, 'cancel-404'));
    const programId = await create(files);
    expect((await cancel(programId, 'someone-else')).body).toMatchObject({
      statusCode: 404,
      code: 'PROGRAM_NOT_FOUND',
    });
    const program = await finishAndCheck(t, programId, USER, files);
    expect(program.status).toBe('completed');
  });

  it('aborts a program whose first 60 files fail under a 0.5/50 budget; the scheduler leaves it; a manual retry completes it', async () => {
    const specs = textFiles(300, 'budget');
    const missing = specs.slice(0, 60);
    const files = [
      ...missing.map((s) => `s3://${t.sourceBucket}/${s.key}`),
      ...(await putObjects(t.s3, t.sourceBucket, specs.slice(60))),
    ];
    // Stored Documents take a while, so the files that can succeed are far from done when the
    // failing start has spent the budget.
    await slowDocuments(t.db, 0.1);
    const programId = await create(files, { failure_budget: { max_failed_ratio: 0.5, min_files: 50 } });
    const program = await finishAndCheck(t, programId, USER, files);
    expect(program.status).toBe('aborted');
    const codes = await t.db.query(
      `SELECT error_code, count(*)::int AS n FROM program_files WHERE program_id = $1 AND state <> 'done'
       GROUP BY error_code ORDER BY error_code`,
      [programId],
    );
    const byCode = Object.fromEntries(codes.rows.map((r: { error_code: string; n: number }) => [r.error_code, r.n]));
    expect(byCode.SOURCE_NOT_FOUND).toBeGreaterThanOrEqual(50);
    expect(byCode.BUDGET_EXCEEDED).toBeGreaterThan(0);
    await clearDocumentFaults(t.db);

    // Every SOURCE_NOT_FOUND is retryable and due long ago by this clock: the scheduler still leaves
    // an aborted program alone.
    clock.advance(24 * 3_600_000);
    await t.app.get(RetryScheduler).runRound();
    const runs = await t.db.query('SELECT count(*)::int AS n FROM retry_runs WHERE program_id = $1', [programId]);
    expect(runs.rows[0].n).toBe(0);

    await putObjects(t.s3, t.sourceBucket, missing);
    const retried = await request(t.server)
      .post(`/v1/programs/${programId}/retry`)
      .query({ user_id: USER, retry_type: 'all' });
    expect(retried.status).toBe(200);
    const failedBefore = byCode.SOURCE_NOT_FOUND + byCode.BUDGET_EXCEEDED;
    expect(retried.body.results.preprocessing).toEqual({ retried: failedBefore, success: failedBefore, failed: 0 });
    const after = await finishAndCheck(t, programId, USER, files);
    expect(after.status).toBe('completed');
    expect(after.metadata_json.total_successful_documents).toBe(300);
  });

  it('refuses a bad budget at create time and leaves no program behind', async () => {
    const files = await putObjects(t.s3, t.sourceBucket, textFiles(1, 'bad-budget'));
    const before = await t.db.query('SELECT count(*)::int AS n FROM programs');
    const res = await request(t.server)
      .post('/v1/programs')
      .query({ user_id: USER })
      .send({ name: 'bad', files, failure_budget: { max_failed_ratio: 2 } });
    expect(res.body).toMatchObject({ statusCode: 400, code: 'INVALID_FAILURE_BUDGET' });
    expect((await t.db.query('SELECT count(*)::int AS n FROM programs')).rows).toEqual(before.rows);
  });
});
