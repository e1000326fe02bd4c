import request from 'supertest';
import { RetryScheduler } from '../../src/retry/retry.scheduler';
import { putObjects, textFiles } from '../factories/s3-objects';
import { finishAndCheck, ManualClock, startTestApp, TestApp } from '../support/test-app';

const USER = 'sched-user';
const BASE = 1_000;
const env = {
  RETRY_BACKOFF_BASE_MS: String(BASE),
  RETRY_BACKOFF_MAX_MS: '3000',
  RETRY_MAX_ATTEMPTS: '3',
};

interface FileRow {
  source_index: number;
  state: string;
  retry_count: number;
  next_retry_at: Date | null;
  exhausted: boolean;
  retryable: boolean;
}

describe('scheduled retries', () => {
  const clock = new ManualClock(new Date('2030-01-01T00:00:00.000Z'));
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp(env, { clock });
  });

  afterAll(async () => {
    await t?.close();
  });

  const create = async (app: TestApp, files: string[]) => {
    const res = await request(app.server).post('/v1/programs').query({ user_id: USER }).send({ name: 'sched', files });
    expect(res.status).toBe(202);
    return res.body.program_id as string;
  };
  const rows = async (programId: string): Promise<FileRow[]> =>
    (
      await t.db.query(
        `SELECT source_index, state, retry_count, next_retry_at, exhausted, retryable
         FROM program_files WHERE program_id = $1 AND state <> 'done' ORDER BY source_index`,
        [programId],
      )
    ).rows;

  it('retries due retryable failures with doubling backoff until exhausted, never the non-retryable', async () => {
    const specs = textFiles(6, 'sched');
    specs[5] = { key: 'sched/junk.txt', body: Buffer.from(Array.from({ length: 1024 }, (_, i) => (i * 31) % 256)) };
    const missing = [1, 3];
    await putObjects(
      t.s3,
      t.sourceBucket,
      specs.filter((_, i) => !missing.includes(i)),
    );
    const files = specs.map((s) => `s3://${t.sourceBucket}/${s.key}`);
    const programId = await create(t, files);
    await finishAndCheck(t, programId, USER, files);
    const scheduler = t.app.get(RetryScheduler);

    // Attempt n waits a full-jitter delay in [0, BASE·2^n), capped at 3000 ms.
    const ceilings = [1_000, 2_000, 3_000];
    for (let attempt = 0; attempt < 3; attempt++) {
      const before = await rows(programId);
      const now = clock.now().getTime();
      for (const i of missing) {
        const r = before.find((x) => x.source_index === i)!;
        expect(r).toMatchObject({ retry_count: attempt, exhausted: false, retryable: true });
        const delay = r.next_retry_at!.getTime() - now;
        expect(delay).toBeGreaterThanOrEqual(0);
        expect(delay).toBeLessThan(ceilings[attempt]);
      }
      clock.advance(ceilings[attempt]);
      expect(await scheduler.runRound()).toEqual([programId]);
    }

    const end = await rows(programId);
    for (const i of missing) {
      expect(end.find((x) => x.source_index === i)).toMatchObject({
        retry_count: 3,
        exhausted: true,
        next_retry_at: null,
      });
    }
    expect(end.find((x) => x.source_index === 5)).toMatchObject({
      retry_count: 0,
      retryable: false,
      exhausted: false,
      next_retry_at: null,
    });

    clock.advance(60_000);
    expect(await scheduler.runRound()).toEqual([]);

    const program = await finishAndCheck(t, programId, USER, files);
    expect(program.metadata_json.retry_history).toHaveLength(3);
    for (const h of program.metadata_json.retry_history) {
      expect(h).toMatchObject({
        retry_type: 'all',
        trigger: 'scheduled',
        results: {
          preprocessing: { retried: 2, success: 0, failed: 2 },
          document: { retried: 0, success: 0, failed: 0 },
        },
      });
    }
    const exhausted = program.metadata_json.preprocessing.failed_files.filter(
      (f: { exhausted: boolean }) => f.exhausted,
    );
    expect(exhausted.map((f: { index: number }) => f.index)).toEqual(missing);

    // An operator can still retry what the scheduler gave up on.
    await putObjects(
      t.s3,
      t.sourceBucket,
      missing.map((i) => specs[i]),
    );
    const manual = await request(t.server)
      .post(`/v1/programs/${programId}/retry`)
      .query({ user_id: USER, retry_type: 'preprocessing' });
    expect(manual.body.results.preprocessing).toEqual({ retried: 3, success: 2, failed: 1 });
    await finishAndCheck(t, programId, USER, files);
  });

  it('does not retry before a failure is due, and succeeds once the source appears', async () => {
    const specs = textFiles(3, 'later');
    await putObjects(t.s3, t.sourceBucket, [specs[0]]);
    const files = specs.map((s) => `s3://${t.sourceBucket}/${s.key}`);
    const programId = await create(t, files);
    await finishAndCheck(t, programId, USER, files);
    const scheduler = t.app.get(RetryScheduler);

    const dueTimes = (await rows(programId)).map((r) => r.next_retry_at!.getTime());
    clock.advance(Math.min(...dueTimes) - clock.now().getTime() - 1); // the first one is due a millisecond from now
    const early = await scheduler.runRound();
    expect(early).not.toContain(programId);

    await putObjects(t.s3, t.sourceBucket, [specs[2]]);
    clock.advance(Math.max(...dueTimes) - clock.now().getTime());
    expect(await scheduler.runRound()).toContain(programId);
    const program = await finishAndCheck(t, programId, USER, files);
    expect(program.metadata_json.retry_history).toEqual([
      expect.objectContaining({
        trigger: 'scheduled',
        results: {
          preprocessing: { retried: 2, success: 1, failed: 1 },
          document: { retried: 1, success: 1, failed: 0 },
        },
      }),
    ]);
  });

  it('with two instances on one database, retries each program once per round', async () => {
    const other = await startTestApp({ ...env, S3_BUCKET: t.bucket }, { database: t.databaseUrl, clock });
    try {
      const programs: { id: string; files: string[] }[] = [];
      const late: ReturnType<typeof textFiles> = [];
      for (let p = 0; p < 10; p++) {
        const specs = textFiles(4, `pair-${p}`);
        await putObjects(t.s3, t.sourceBucket, specs.slice(0, 2));
        late.push(...specs.slice(2));
        const files = specs.map((s) => `s3://${t.sourceBucket}/${s.key}`);
        programs.push({ id: await create(p % 2 ? other : t, files), files });
      }
      for (const p of programs) await finishAndCheck(t, p.id, USER, p.files);
      await putObjects(t.s3, t.sourceBucket, late);
      clock.advance(10_000);

      const [a, b] = await Promise.all([
        t.app.get(RetryScheduler).runRound(),
        other.app.get(RetryScheduler).runRound(),
      ]);

      const ids = programs.map((p) => p.id);
      expect([...a, ...b].filter((id) => ids.includes(id)).sort()).toEqual([...ids].sort());
      expect(a.filter((id) => b.includes(id))).toEqual([]);
      for (const p of programs) {
        const program = await finishAndCheck(t, p.id, USER, p.files);
        expect(program.status).toBe('completed');
        expect(program.metadata_json.retry_history).toHaveLength(1);
      }
    } finally {
      await other.close();
    }
  });
});
