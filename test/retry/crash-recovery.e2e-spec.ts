import { programLockIsFree, slowDocuments, clearDocumentFaults } from '../factories/db-faults';
import { putObjects, textFiles } from '../factories/s3-objects';
import { ServiceProcess, startServiceProcess } from '../support/service-process';
import { createTestDatabase, finishAndCheck, startTestApp, TestApp } from '../support/test-app';
import { Client } from 'pg';
import { RetryScheduler } from '../../src/retry/retry.scheduler';
import { randomBytes } from 'node:crypto';
import { ensureBucket, makeS3Client } from '../factories/s3-objects';

const USER = 'crash-user';
const FILES = 600;

/**
 * A worker process dies (SIGKILL) or is stopped (SIGTERM) in the middle of a program: the lock
 * must come free, and another instance must finish the program with exactly one Document per file.
 */
describe('crash recovery and graceful shutdown', () => {
  let db: { url: string; drop(): Promise<void> };
  let client: Client;
  let worker: ServiceProcess | undefined;
  const bucket = `out-${randomBytes(4).toString('hex')}`;
  const sourceBucket = `src-${randomBytes(4).toString('hex')}`;
  const s3 = makeS3Client();
  let files: string[];

  beforeAll(async () => {
    db = await createTestDatabase();
    await ensureBucket(s3, sourceBucket);
    files = await putObjects(s3, sourceBucket, textFiles(FILES, 'crash'));
  });

  afterEach(async () => {
    if (worker && worker.child.exitCode === null) {
      worker.child.kill('SIGKILL');
      await worker.exited;
    }
    worker = undefined;
    await client?.end();
  });

  afterAll(async () => {
    await db.drop();
    s3.destroy();
  });

  async function startSlowProgram(): Promise<string> {
    worker = await startServiceProcess({ DATABASE_URL: db.url, S3_BUCKET: bucket, PROCESSING_CONCURRENCY: '4' });
    client = new Client({ connectionString: db.url });
    await client.connect();
    // About 25 Documents a second: the program is in mid-flight for long enough to interrupt it.
    await slowDocuments(client, 0.15);
    const res = await fetch(`${worker.baseUrl}/v1/programs?user_id=${USER}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'crash', files }),
    });
    expect(res.status).toBe(202);
    const { program_id } = (await res.json()) as { program_id: string };
    await waitUntil(async () => (await documentCount(program_id)) >= FILES * 0.1, 60_000);
    return program_id;
  }

  const documentCount = async (programId: string) =>
    (await client.query('SELECT count(*)::int AS n FROM documents WHERE program_id = $1', [programId])).rows[0].n as number;

  const startSecondInstance = () => startTestApp({ S3_BUCKET: bucket }, { database: db.url });

  /** Another instance finishes the program: one booted now (resume at boot) or one already running. */
  async function resumeElsewhere(programId: string, running?: TestApp): Promise<void> {
    await clearDocumentFaults(client);
    let second: TestApp | undefined = running;
    try {
      if (second) {
        // Already up when the worker died: its next scheduler round finds the orphan and resumes it.
        await second.app.get(RetryScheduler).runRound();
      } else {
        second = await startSecondInstance();
      }
      const program = await finishAndCheck(second, programId, USER, files);
      expect(program.status).toBe('completed');
      expect(program.metadata_json.total_successful_documents).toBe(FILES);
      const dup = await client.query(
        'SELECT source_index FROM documents WHERE program_id = $1 GROUP BY source_index HAVING count(*) > 1',
        [programId],
      );
      expect(dup.rows).toEqual([]);
      expect(await documentCount(programId)).toBe(FILES);
    } finally {
      await second?.close();
    }
  }

  it('SIGKILL mid-program: the lock is free within seconds and a running instance resumes the program', async () => {
    const programId = await startSlowProgram();
    const standby = await startSecondInstance();
    // Booting, the standby found the program held by the worker and left it alone.
    expect(await programLockIsFree(client, programId)).toBe(false);
    const before = await documentCount(programId);
    expect(before).toBeLessThan(FILES);

    worker!.child.kill('SIGKILL');
    await worker!.exited;
    const killedAt = Date.now();
    await waitUntil(() => programLockIsFree(client, programId), 5_000);
    expect(Date.now() - killedAt).toBeLessThan(5_000);
    const { rows } = await client.query('SELECT status FROM program_states WHERE program_id = $1', [programId]);
    expect(rows[0].status).toBe('processing');

    await resumeElsewhere(programId, standby);
  });

  it('a hung holder (SIGSTOP) loses the lock within the idle-in-transaction timeout', async () => {
    const programId = await startSlowProgram();
    worker!.child.kill('SIGSTOP');
    const stoppedAt = Date.now();
    try {
      await waitUntil(() => programLockIsFree(client, programId), 30_000);
      // 20 s idle-in-transaction timeout, plus at most one heartbeat interval already elapsed.
      expect(Date.now() - stoppedAt).toBeLessThan(27_000);
    } finally {
      worker!.child.kill('SIGCONT');
    }
    // Woken up, the old holder finds its lock gone and stops; a new instance completes the program.
    worker!.child.kill('SIGKILL');
    await worker!.exited;
    await resumeElsewhere(programId);
  });

  it('SIGTERM mid-program: exits cleanly with the lock released, and the program completes after restart', async () => {
    const programId = await startSlowProgram();
    worker!.child.kill('SIGTERM');
    expect(await worker!.exited).toBe(0);
    expect(await programLockIsFree(client, programId)).toBe(true);
    expect(await documentCount(programId)).toBeLessThan(FILES);

    await resumeElsewhere(programId);
  });
});

async function waitUntil(cond: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
