import { PutObjectCommand } from '@aws-sdk/client-s3';
import { clearDocumentFaults, documentsAtGate, gateDocuments } from '../factories/db-faults';
import { putObjects, textFiles } from '../factories/s3-objects';
import type { ServiceProcess } from '../support/service-process';
import { FaultHarness } from './harness';

const USER = 'replica-user';
const LEASE_TTL_MS = 2_000;
// Every replica works the same program; short leases so a dead or stalled one's files move on quickly.
const REPLICA_ENV = {
  PROCESSING_CONCURRENCY: '8',
  CLAIM_BATCH_SIZE: '32',
  LEASE_TTL_MS: String(LEASE_TTL_MS),
  RETRY_SCHEDULER_ENABLED: 'true',
  RETRY_SCAN_INTERVAL_MS: '300',
  // Automatic retries out of the way: these tests are about the first run and a manual retry.
  RETRY_BACKOFF_BASE_MS: '3600000',
  RETRY_BACKOFF_MAX_MS: '3600000',
};

async function metric(service: ServiceProcess, name: string): Promise<number> {
  const text = await (await fetch(`${service.baseUrl}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return Number(line?.split(' ')[1] ?? 0);
}

/**
 * One program spread over several replicas (built service processes on one database and S3): any
 * of them may die or stall, and the others finish the program with exactly one Document per file,
 * no file that was done is done again, and a stale replica's late writes are refused.
 */
describe('replicas sharing one program', () => {
  let h: FaultHarness;

  beforeEach(async () => {
    h = await FaultHarness.create();
  });

  afterEach(async () => {
    await h?.close();
  });

  /** Exactly one Document and one recorded attempt per file: nothing lost, doubled or redone. */
  async function expectEachFileOnce(programId: string, files: string[], survivor: ServiceProcess) {
    const r = await h.check(survivor, programId, USER, files);
    expect({ documents: r.documents, duplicates: r.duplicates, lost: r.lost, failed: r.failed }).toEqual({
      documents: files.length,
      duplicates: 0,
      lost: 0,
      failed: 0,
    });
    const attempts = await h.db.query(
      `SELECT count(DISTINCT source_index)::int AS files, count(*)::int AS attempts FROM file_attempts WHERE program_id = $1`,
      [programId],
    );
    expect(attempts.rows[0]).toEqual({ files: files.length, attempts: files.length });
  }

  const holders = async (programId: string): Promise<number> =>
    (
      await h.db.query(
        `SELECT count(DISTINCT lease_owner)::int AS n FROM program_files WHERE program_id = $1 AND state = 'processing'`,
        [programId],
      )
    ).rows[0].n;

  const settled = async (service: ServiceProcess, programId: string) =>
    !['pending', 'processing'].includes((await h.getProgram(service, programId, USER)).status);

  it('two replicas, one SIGKILLed at ~30% of 3,000 files: the other finishes, nothing redone', async () => {
    const files = await putObjects(h.s3, h.sourceBucket, textFiles(3000, 'two-kill'));
    const [a, b] = [await h.startService(REPLICA_ENV), await h.startService(REPLICA_ENV)];
    const programId = await h.createProgram(a, USER, files);
    // Both replicas hold files of the program at once: the work really is shared.
    await h.waitFor(async () => (await holders(programId)) === 2, 'both replicas holding files');
    await h.waitFor(async () => (await h.documentCount(programId)) >= 900, '30% done');
    await a.killGroup();
    await h.waitFor(() => settled(b, programId), 'settled by the survivor', 120_000);
    expect((await h.getProgram(b, programId, USER)).status).toBe('completed');
    await expectEachFileOnce(programId, files, b);
  });

  it('three replicas, one SIGSTOPped for 2 × LEASE_TTL_MS: its files move on, its late writes are refused', async () => {
    const files = await putObjects(h.s3, h.sourceBucket, textFiles(3000, 'three-stop'));
    const replicas = [
      await h.startService(REPLICA_ENV),
      await h.startService(REPLICA_ENV),
      await h.startService(REPLICA_ENV),
    ];
    const [stalled, ...others] = replicas;
    const programId = await h.createProgram(others[0], USER, files);
    await h.waitFor(async () => (await holders(programId)) === 3, 'all three replicas holding files');
    await h.waitFor(async () => (await h.documentCount(programId)) >= 900, '30% done');
    stalled.child.kill('SIGSTOP');
    await new Promise((r) => setTimeout(r, 2 * LEASE_TTL_MS));
    stalled.child.kill('SIGCONT');

    await h.waitFor(() => settled(others[0], programId), 'settled', 120_000);
    expect((await h.getProgram(others[0], programId, USER)).status).toBe('completed');
    // The woken replica's outcome writes under epochs that moved on were refused and counted.
    await h.waitFor(
      async () => (await metric(stalled, 'ingest_fenced_writes_total')) > 0,
      'fenced writes counted',
      30_000,
    );
    await expectEachFileOnce(programId, files, others[1]);
    expect(stalled.child.exitCode).toBeNull();
  });

  it('a retry whose holder is SIGKILLed mid-run: its files settle, the run ends interrupted, a new retry works at once', async () => {
    const specs = textFiles(200, 'retry-kill');
    await putObjects(h.s3, h.sourceBucket, specs.slice(0, 150));
    const files = specs.map((s) => `s3://${h.sourceBucket}/${s.key}`);
    const [holder, other] = [await h.startService(REPLICA_ENV), await h.startService(REPLICA_ENV)];
    const programId = await h.createProgram(holder, USER, files);
    await h.waitFor(() => settled(holder, programId), 'first run settled');
    expect((await h.getProgram(holder, programId, USER)).status).toBe('completed_with_failures');

    // The missing files arrive; their Documents are held at a gate so the retry is surely mid-run.
    for (const s of specs.slice(150)) {
      await h.s3.send(new PutObjectCommand({ Bucket: h.sourceBucket, Key: s.key, Body: s.body as string }));
    }
    const gate = await gateDocuments(h.db);
    // wait=false: the answer names the run, which is then followed as a resource on the other replica.
    const accepted = await fetch(
      `${holder.baseUrl}/v1/programs/${programId}/retry?user_id=${USER}&retry_type=preprocessing&wait=false`,
      { method: 'POST' },
    );
    expect(accepted.status).toBe(202);
    const { retry_id: retryId } = (await accepted.json()) as { retry_id: string };
    const runOf = async () =>
      (await (await fetch(`${other.baseUrl}/v1/programs/${programId}/retries/${retryId}?user_id=${USER}`)).json()) as {
        status: string;
        results: { preprocessing: unknown };
      };
    await h.waitFor(async () => (await documentsAtGate(h.db)) >= 1, 'retry files in flight');
    expect((await runOf()).status).toBe('running');
    await holder.killGroup();
    await gate.release();
    await clearDocumentFaults(h.db);

    // The other replica settles the run's files through their leases, ends the run as interrupted and
    // then refreshes the program's summary (two steps): wait for the last one, the history entry.
    await h.waitFor(
      async () => (await h.getProgram(other, programId, USER)).metadata_json.retry_history.length === 1,
      'run interrupted and listed in the history',
      60_000,
    );
    const ended = await runOf();
    expect(ended.status).toBe('interrupted');
    expect(ended.results.preprocessing).toEqual({ retried: 50, success: 50, failed: 0 });
    const program = await h.getProgram(other, programId, USER);
    expect(program.status).toBe('completed');
    expect(program.metadata_json.retry_history).toHaveLength(1);

    // The lock went with the dead holder: a new manual retry runs at once (nothing left to retry).
    const again = await fetch(`${other.baseUrl}/v1/programs/${programId}/retry?user_id=${USER}`, { method: 'POST' });
    expect(again.status).toBe(200);
    const body = (await again.json()) as { results: unknown };
    expect(body.results).toEqual({
      preprocessing: { retried: 0, success: 0, failed: 0 },
      document: { retried: 0, success: 0, failed: 0 },
    });
    const r = await h.check(other, programId, USER, files);
    expect({ documents: r.documents, duplicates: r.duplicates, lost: r.lost }).toEqual({
      documents: 200,
      duplicates: 0,
      lost: 0,
    });
  });
});
