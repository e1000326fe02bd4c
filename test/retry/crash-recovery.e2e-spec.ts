import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { clearDocumentFaults, slowDocuments } from '../factories/db-faults';
import { ensureBucket, makeS3Client, putObjects, textFiles } from '../factories/s3-objects';
import { ServiceProcess, startServiceProcess } from '../support/service-process';
import { createTestDatabase, finishAndCheck, startTestApp, TestApp } from '../support/test-app';
import { until } from '../support/wait';

const USER = 'crash-user';
const FILES = 600;
// Short leases, so a dead holder's files are free again within the test's patience.
const LEASE_TTL_MS = '2000';

/**
 * A worker process dies (SIGKILL), hangs (SIGSTOP) or stops (SIGTERM) in the middle of a program:
 * its files come free when their leases run out (or at once, on SIGTERM), another instance finishes
 * the program with exactly one Document per file, and no file that was done is done again.
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
      worker.child.kill('SIGCONT');
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
    worker = await startServiceProcess({
      DATABASE_URL: db.url,
      S3_BUCKET: bucket,
      PROCESSING_CONCURRENCY: '4',
      LEASE_TTL_MS,
    });
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
    await until(async () => (await documentCount(program_id)) >= FILES * 0.1, 'a tenth of the Documents', 60_000);
    return program_id;
  }

  const documentCount = async (programId: string) =>
    (await client.query('SELECT count(*)::int AS n FROM documents WHERE program_id = $1', [programId])).rows[0]
      .n as number;

  const heldBy = async (programId: string) =>
    (
      await client.query(
        `SELECT lease_owner, count(*)::int AS n FROM program_files WHERE program_id = $1 AND state = 'processing'
         GROUP BY lease_owner`,
        [programId],
      )
    ).rows as { lease_owner: string; n: number }[];

  /** Another instance finishes the program; every file has exactly one attempt: nothing was redone. */
  async function finishElsewhere(programId: string): Promise<TestApp> {
    await clearDocumentFaults(client);
    const second = await startTestApp({ S3_BUCKET: bucket, LEASE_TTL_MS }, { database: db.url });
    const program = await finishAndCheck(second, programId, USER, files);
    expect(program.status).toBe('completed');
    expect(program.metadata_json.total_successful_documents).toBe(FILES);
    const dup = await client.query(
      'SELECT source_index FROM documents WHERE program_id = $1 GROUP BY source_index HAVING count(*) > 1',
      [programId],
    );
    expect(dup.rows).toEqual([]);
    expect(await documentCount(programId)).toBe(FILES);
    const attempts = await client.query(
      `SELECT count(*)::int AS files, max(n)::int AS most FROM
         (SELECT source_index, count(*) AS n FROM file_attempts WHERE program_id = $1 GROUP BY source_index) a`,
      [programId],
    );
    expect(attempts.rows[0]).toEqual({ files: FILES, most: 1 });
    return second;
  }

  it('SIGKILL mid-program: the dead holder’s leases run out and another instance finishes', async () => {
    const programId = await startSlowProgram();
    worker!.child.kill('SIGKILL');
    await worker!.exited;
    const held = await heldBy(programId);
    expect(held.length).toBe(1);
    expect(held[0].n).toBeGreaterThan(0);
    expect(await documentCount(programId)).toBeLessThan(FILES);

    const second = await finishElsewhere(programId);
    await second.close();
  });

  it('a hung holder (SIGSTOP) loses its files to another instance; woken, its late writes are refused', async () => {
    const programId = await startSlowProgram();
    worker!.child.kill('SIGSTOP');
    const second = await finishElsewhere(programId);
    try {
      worker!.child.kill('SIGCONT');
      // Its files in flight end with an outcome write under an epoch that moved on: refused, counted.
      await until(async () => (await fencedWrites(worker!)) > 0, 'a fenced write', 30_000);
      await clearDocumentFaults(client);
      // Nothing it wrote late changed the program: still exactly one Document and one attempt per file.
      expect(await documentCount(programId)).toBe(FILES);
      const attempts = await client.query('SELECT count(*)::int AS n FROM file_attempts WHERE program_id = $1', [
        programId,
      ]);
      expect(attempts.rows[0].n).toBe(FILES);
    } finally {
      await second.close();
    }
  });

  it('SIGTERM mid-program: exits cleanly, hands back what it had not started, the program completes after', async () => {
    const programId = await startSlowProgram();
    worker!.child.kill('SIGTERM');
    expect(await worker!.exited).toBe(0);
    // Files it finished are recorded; nothing is left held by it.
    const left = await heldBy(programId);
    if (left.length > 0) console.log(worker!.output().slice(-4000));
    expect(left).toEqual([]);
    expect(await documentCount(programId)).toBeLessThan(FILES);

    const second = await finishElsewhere(programId);
    await second.close();
  });
});

async function fencedWrites(service: ServiceProcess): Promise<number> {
  const text = await (await fetch(`${service.baseUrl}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith('ingest_fenced_writes_total '));
  return Number(line?.split(' ')[1] ?? 0);
}
