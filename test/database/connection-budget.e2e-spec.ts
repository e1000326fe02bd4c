/**
 * DB_POOL_MAX is every connection one replica holds: the ORM pool and the program lock connections
 * together never exceed it, as PostgreSQL itself counts them, and a retry that finds no lock
 * connection free is refused (429) instead of queueing behind the retries that hold them.
 */
import { Client } from 'pg';
import request from 'supertest';
import { RetryCapacityError } from '../../src/retry/errors/retry.errors';
import { ProgramLockRepository } from '../../src/retry/lock/program-lock.repository';
import { clearDocumentFaults, documentsAtGate, gateDocuments } from '../factories/db-faults';
import { putObjects, s3Url, textFiles, type S3ObjectSpec } from '../factories/s3-objects';
import { finishAndCheck, startTestApp, TestApp } from '../support/test-app';
import { until } from '../support/wait';

const USER = 'budget-user';
const POOL_MAX = 6;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface FailingProgram {
  programId: string;
  files: string[];
  /** The sources that were missing on the first run; put them and a retry succeeds. */
  late: S3ObjectSpec[];
}

/** Counts the app's connections, as the server sees them, every few milliseconds until stopped. */
async function countConnections(databaseUrl: string) {
  const db = new Client({ connectionString: databaseUrl });
  await db.connect();
  let running = true;
  let max = 0;
  let samples = 0;
  const loop = (async () => {
    while (running) {
      const res = await db.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM pg_stat_activity
         WHERE datname = current_database() AND application_name LIKE 'batch-ingest%'`,
      );
      max = Math.max(max, res.rows[0].n);
      samples++;
      await sleep(10);
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      await db.end();
      return { max, samples };
    },
  };
}

describe(`DB_POOL_MAX=${POOL_MAX}: the whole connection budget of a replica`, () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ DB_POOL_MAX: String(POOL_MAX), S3_CREATE_BUCKET: 'true' });
  });

  afterEach(async () => {
    await clearDocumentFaults(t.db);
  });

  afterAll(async () => {
    await t?.close();
  });

  const create = async (files: string[]) => {
    const res = await request(t.server).post('/v1/programs').query({ user_id: USER }).send({ name: 'budget', files });
    expect(res.status).toBe(202);
    return res.body.program_id as string;
  };
  const retry = (programId: string, query: Record<string, string> = {}) =>
    request(t.server)
      .post(`/v1/programs/${programId}/retry`)
      .query({ user_id: USER, retry_type: 'preprocessing', ...query });

  /** A finished program whose files at `missing` failed (their sources did not exist yet). */
  async function failingProgram(prefix: string, n: number, missing: number[]): Promise<FailingProgram> {
    const specs = textFiles(n, prefix);
    await putObjects(
      t.s3,
      t.sourceBucket,
      specs.filter((_, i) => !missing.includes(i)),
    );
    const files = specs.map((s) => s3Url(t.sourceBucket, s.key));
    const programId = await create(files);
    const done = await finishAndCheck(t, programId, USER, files);
    expect(done.metadata_json.preprocessing.summary.failed).toBe(missing.length);
    return { programId, files, late: missing.map((i) => specs[i]) };
  }

  const waitForRun = (programId: string, retryId: string) =>
    until(async () => {
      const run = await request(t.server).get(`/v1/programs/${programId}/retries/${retryId}`).query({ user_id: USER });
      return run.body.status !== 'running';
    }, `retry ${retryId} to end`);

  it('one lock connection at this size: skip-locked callers skip, a manual retry gets RETRY_CAPACITY', async () => {
    const a = await failingProgram('lock-a', 2, [0]);
    const b = await failingProgram('lock-b', 2, [0]);
    // A replica's lock pool as the app builds it, on the app's database.
    const locks = new ProgramLockRepository(t.config);
    try {
      const held = await locks.tryAcquire(a.programId, 'nowait');
      expect(held).not.toBeNull();
      // Every lock connection holds a lock: nothing waits for one.
      expect(await locks.tryAcquire(b.programId, 'skip-locked')).toBeNull();
      await expect(locks.tryAcquire(b.programId, 'nowait')).rejects.toBeInstanceOf(RetryCapacityError);
      await held!.release();
      // Another replica holds A: the attempt on A has the connection for a moment only, and the
      // attempt on B waits for it rather than being refused.
      await t.db.query('BEGIN');
      try {
        await t.db.query('SELECT id FROM programs WHERE id = $1 FOR NO KEY UPDATE', [a.programId]);
        const [onA, onB] = await Promise.all([
          locks.tryAcquire(a.programId, 'nowait'),
          locks.tryAcquire(b.programId, 'nowait'),
        ]);
        expect(onA).toBeNull();
        expect(onB).not.toBeNull();
        // B holds the one connection now: a caller already waiting is refused too, not left waiting.
        await expect(locks.tryAcquire(a.programId, 'nowait')).rejects.toBeInstanceOf(RetryCapacityError);
        await onB!.release();
      } finally {
        await t.db.query('ROLLBACK');
      }
    } finally {
      await locks.onApplicationShutdown();
    }
  });

  it('a manual retry that finds the lock connections all holding a lock answers 429 at once', async () => {
    const a = await failingProgram('cap-a', 3, [1]);
    const b = await failingProgram('cap-b', 3, [1]);
    await putObjects(t.s3, t.sourceBucket, [...a.late, ...b.late]);
    // A's Documents wait at a gate: its retry keeps the one lock connection until the test opens it.
    const gate = await gateDocuments(t.db);
    let retryId: string;
    try {
      const started = await retry(a.programId, { wait: 'false' });
      expect(started.status).toBe(202);
      retryId = started.body.retry_id as string;
      await until(async () => (await documentsAtGate(t.db)) > 0, 'a Document insert held at the gate');

      const refused = await retry(b.programId);
      expect(refused.status).toBe(429);
      expect(refused.body.code).toBe('RETRY_CAPACITY');
      expect(refused.headers['retry-after']).toBe('2');
    } finally {
      await gate.release();
    }
    await waitForRun(a.programId, retryId);
    await clearDocumentFaults(t.db);
    const after = await retry(b.programId);
    expect(after.status).toBe(200);
    expect(after.body.results.preprocessing).toEqual({ retried: 1, success: 1, failed: 0 });
  });

  it(`never holds more than ${POOL_MAX} connections under a burst, and everything finishes`, async () => {
    const retried = await Promise.all(['c', 'd', 'e', 'f'].map((p) => failingProgram(`burst-${p}`, 10, [2, 5, 7])));
    await putObjects(
      t.s3,
      t.sourceBucket,
      retried.flatMap((p) => p.late),
    );
    const counter = await countConnections(t.databaseUrl);
    let refusals = 0;
    const retryUntilAccepted = async (programId: string) => {
      const deadline = Date.now() + 120_000;
      for (;;) {
        const res = await retry(programId);
        if (res.status !== 429) return res;
        expect(res.body.code).toBe('RETRY_CAPACITY');
        refusals++;
        if (Date.now() > deadline) throw new Error(`retry of ${programId} refused for two minutes`);
        await sleep(100);
      }
    };
    let counted: { max: number; samples: number };
    const big = await putObjects(t.s3, t.sourceBucket, textFiles(300, 'burst-big'));
    try {
      const bigId = await create(big);
      const answers = await Promise.all(retried.map((p) => retryUntilAccepted(p.programId)));
      for (const a of answers) {
        expect(a.status).toBe(200);
        expect(a.body.results.preprocessing).toEqual({ retried: 3, success: 3, failed: 0 });
      }
      const bigDone = await finishAndCheck(t, bigId, USER, big);
      expect(bigDone.status).toBe('completed');
      expect(bigDone.metadata_json.preprocessing.summary).toEqual({ total: 300, success: 300, failed: 0 });
    } finally {
      counted = await counter.stop();
    }
    for (const p of retried) {
      const done = await finishAndCheck(t, p.programId, USER, p.files);
      expect(done.status).toBe('completed');
    }
    expect(counted.samples).toBeGreaterThan(20);
    // The ORM pool was in full use, and the lock connection on top of it, never more.
    expect(counted.max).toBeGreaterThan(1);
    expect(counted.max).toBeLessThanOrEqual(POOL_MAX);
    // Four retries at once against a single lock connection: some were sent back, none queued.
    expect(refusals).toBeGreaterThan(0);
  }, 300_000);
});
