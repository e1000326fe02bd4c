import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { clearDocumentFaults, gateDocuments } from '../factories/db-faults';
import { putObjects, textFiles } from '../factories/s3-objects';
import type { ServiceProcess } from '../support/service-process';
import { FaultHarness } from './harness';

/**
 * The fault suite: the built service runs as its own process against real PostgreSQL and a real
 * S3-protocol server, and its surroundings fail under it. Every test ends with the SPEC §4
 * invariants checked from the outside and with 0 files lost and 0 Documents duplicated.
 */
const USER = 'fault-user';
// Quick automatic retries, so failures caused by an outage are retried within the test.
const SERVICE_ENV = {
  RETRY_SCHEDULER_ENABLED: 'true',
  PROCESSING_CONCURRENCY: '8',
  RETRY_SCAN_INTERVAL_MS: '500',
  RETRY_BACKOFF_BASE_MS: '300',
  RETRY_BACKOFF_MAX_MS: '1000',
  RETRY_MAX_ATTEMPTS: '20',
  // Short leases: files held by a replica that died or lost the database are free again in seconds.
  LEASE_TTL_MS: '3000',
};

interface Figures {
  fault: string;
  files: number;
  documents: number;
  duplicates: number;
  lost: number;
  failed: number;
  note: string;
}
const figures: Figures[] = [];

const ready = async (s: ServiceProcess) => (await fetch(`${s.baseUrl}/health/ready`)).status;

describe('fault suite', () => {
  let h: FaultHarness;

  beforeEach(async () => {
    h = await FaultHarness.create();
  });

  afterEach(async () => {
    await h?.close();
  });

  afterAll(() => {
    const dir = join(__dirname, '..', '..', 'test-results');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'faults.json'), JSON.stringify({ at: new Date().toISOString(), figures }, null, 2));
    console.log(
      [
        'fault | files | documents | duplicates | lost | note',
        ...figures.map((f) => `${f.fault} | ${f.files} | ${f.documents} | ${f.duplicates} | ${f.lost} | ${f.note}`),
      ].join('\n'),
    );
  });

  async function finish(service: ServiceProcess, programId: string, files: string[], fault: string, note: string) {
    try {
      await h.waitFor(
        async () => (await h.getProgram(service, programId, USER)).status === 'completed',
        `${fault}: program completed without failures`,
        60_000,
      );
    } catch (e) {
      const p = await h.getProgram(service, programId, USER).catch(() => undefined);
      const states = await h.db.query(
        `SELECT state, error_code, min(error) AS error, count(*)::int AS n, max(retry_count) AS max_retry,
                bool_or(exhausted) AS exhausted
         FROM program_files WHERE program_id = $1 GROUP BY 1, 2`,
        [programId],
      );
      throw new Error(
        `${(e as Error).message}\nstatus: ${p?.status}\nfiles: ${JSON.stringify(states.rows)}\n` +
          `service output (tail):\n${h.services.map((s) => s.output().slice(-3000)).join('\n---\n')}`,
      );
    }
    const r = await h.check(service, programId, USER, files);
    figures.push({
      fault,
      files: r.files,
      documents: r.documents,
      duplicates: r.duplicates,
      lost: r.lost,
      failed: r.failed,
      note,
    });
    expect({ documents: r.documents, duplicates: r.duplicates, lost: r.lost, failed: r.failed }).toEqual({
      documents: files.length,
      duplicates: 0,
      lost: 0,
      failed: 0,
    });
    return r;
  }

  it('S3 down for several seconds mid-program: readiness says so, failures are retried, nothing lost', async () => {
    const files = await putObjects(h.s3, h.sourceBucket, textFiles(1500, 's3down'));
    const service = await h.startService(SERVICE_ENV);
    const programId = await h.createProgram(service, USER, files);
    await h.waitFor(async () => (await h.documentCount(programId)) >= 200, 'some progress');

    await h.stopS3();
    await h.waitFor(async () => (await ready(service)) === 503, 'readiness 503 while S3 is down', 15_000);
    await new Promise((r) => setTimeout(r, 4_000));
    await h.startS3();
    await h.waitFor(async () => (await ready(service)) === 200, 'readiness 200 after S3 is back', 15_000);

    const r = await finish(
      service,
      programId,
      files,
      'S3 stopped ~5 s mid-program',
      'outage failures retried by the scheduler',
    );
    const retried = r.program.metadata_json.retry_history.filter((e: { trigger: string }) => e.trigger === 'scheduled');
    figures[figures.length - 1].note += ` (${retried.length} scheduled rounds)`;
  });

  it('PostgreSQL unreachable for several seconds mid-program: recorded once back, nothing lost or doubled', async () => {
    const files = await putObjects(h.s3, h.sourceBucket, textFiles(1500, 'pgdown'));
    const service = await h.startService(SERVICE_ENV);
    const programId = await h.createProgram(service, USER, files);
    await h.waitFor(async () => (await h.documentCount(programId)) >= 200, 'some progress');

    h.cutDatabase();
    await h.waitFor(
      async () => (await ready(service)) === 503,
      'readiness 503 while PostgreSQL is unreachable',
      15_000,
    );
    await new Promise((r) => setTimeout(r, 5_000));
    h.restoreDatabase();
    await h.waitFor(async () => (await ready(service)) === 200, 'readiness 200 after PostgreSQL is back', 15_000);

    await finish(
      service,
      programId,
      files,
      'PostgreSQL cut ~6 s mid-program',
      'files whose outcome could not be recorded were taken up again when their leases ran out',
    );
    expect(service.child.exitCode).toBeNull();
  });

  it('SIGKILL at about 30% of a 3,000-file program, then restart', async () => {
    const files = await putObjects(h.s3, h.sourceBucket, textFiles(3000, 'kill'));
    const first = await h.startService({ ...SERVICE_ENV, PROCESSING_CONCURRENCY: '4' });
    const programId = await h.createProgram(first, USER, files);
    await h.waitFor(async () => (await h.documentCount(programId)) >= 900, '30% done');
    await first.killGroup();
    const atKill = await h.documentCount(programId);

    const second = await h.startService(SERVICE_ENV);
    await finish(
      second,
      programId,
      files,
      'SIGKILL at ~30% of 3,000 files',
      `killed with ${atKill} Documents stored; restarted`,
    );
  });

  it('SIGTERM mid-program: clean exit, nothing left held, completed after restart', async () => {
    const files = await putObjects(h.s3, h.sourceBucket, textFiles(1500, 'term'));
    const first = await h.startService({ ...SERVICE_ENV, PROCESSING_CONCURRENCY: '4' });
    const programId = await h.createProgram(first, USER, files);
    await h.waitFor(async () => (await h.documentCount(programId)) >= 300, 'some progress');
    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);
    const held = await h.db.query(
      `SELECT count(*)::int AS n FROM program_files WHERE program_id = $1 AND state = 'processing'`,
      [programId],
    );
    expect(held.rows[0].n).toBe(0);
    const atTerm = await h.documentCount(programId);

    const second = await h.startService(SERVICE_ENV);
    await finish(second, programId, files, 'SIGTERM mid-program', `exit 0 with ${atTerm} Documents stored; restarted`);
  });

  it('two instances with schedulers on: 10 programs whose failures become fixable all complete, each retry counted once', async () => {
    const [a, b] = [await h.startService(SERVICE_ENV), await h.startService(SERVICE_ENV)];
    const programs: { id: string; files: string[] }[] = [];
    const late: ReturnType<typeof textFiles> = [];
    for (let p = 0; p < 10; p++) {
      const specs = textFiles(30, `two-${p}`);
      await putObjects(h.s3, h.sourceBucket, specs.slice(0, 25));
      late.push(...specs.slice(25));
      const files = specs.map((s) => `s3://${h.sourceBucket}/${s.key}`);
      programs.push({ id: await h.createProgram(p % 2 ? b : a, USER, files), files });
    }
    // Let a few automatic rounds fail first, then make the files fixable.
    await new Promise((r) => setTimeout(r, 1_500));
    await putObjects(h.s3, h.sourceBucket, late);

    let rounds = 0;
    for (const p of programs) {
      const r = await finish(a, p.id, p.files, 'two instances, schedulers on', '');
      figures.pop();
      const history = r.program.metadata_json.retry_history as { trigger: string; results: any }[];
      rounds += history.length;
      // Every automatic attempt is counted exactly once: the attempts in the history add up to the
      // retry counts on the files. (A file that passes preprocessing in a retry is also counted
      // under `document` for the same attempt, hence the subtraction.)
      const attempts = history.reduce(
        (n, e) => n + e.results.preprocessing.retried + e.results.document.retried - e.results.preprocessing.success,
        0,
      );
      const counted = (
        await h.db.query('SELECT coalesce(sum(retry_count), 0)::int AS n FROM program_files WHERE program_id = $1', [
          p.id,
        ])
      ).rows[0].n;
      expect(history.every((e) => e.trigger === 'scheduled')).toBe(true);
      if (attempts !== counted) {
        // What each side holds, to tell a run missing from the history from an attempt missing from a run.
        const runs = await h.db.query(
          `SELECT id, status, results, created_at, finished_at FROM retry_runs WHERE program_id = $1 ORDER BY id`,
          [p.id],
        );
        const rows = await h.db.query(
          `SELECT source_index, attempt, run_id, trigger, entry_stage, stage, outcome, error_code
           FROM file_attempts WHERE program_id = $1 AND attempt > 1 ORDER BY source_index, attempt`,
          [p.id],
        );
        throw new Error(
          `history adds up to ${attempts} retries, the files count ${counted}\nhistory: ${JSON.stringify(history)}\n` +
            `runs: ${JSON.stringify(runs.rows)}\nretry attempts: ${JSON.stringify(rows.rows)}`,
        );
      }
    }
    figures.push({
      fault: 'two instances, schedulers on, 10 programs',
      files: 300,
      documents: (await h.db.query('SELECT count(*)::int AS n FROM documents')).rows[0].n,
      duplicates: 0,
      lost: 0,
      failed: 0,
      note: `${rounds} scheduled retry entries in all; attempts = retry counts`,
    });
  });

  it('20 concurrent manual retries: exactly one runs, 19 answer 409, history grows by one', async () => {
    const service = await h.startService({ ...SERVICE_ENV, RETRY_SCHEDULER_ENABLED: 'false' });
    const specs = textFiles(10, 'twenty');
    await putObjects(h.s3, h.sourceBucket, specs.slice(0, 4));
    const files = specs.map((s) => `s3://${h.sourceBucket}/${s.key}`);
    const programId = await h.createProgram(service, USER, files);
    await h.waitFor(
      async () => (await h.getProgram(service, programId, USER)).status === 'completed_with_failures',
      'first run',
    );
    await putObjects(h.s3, h.sourceBucket, specs.slice(4));
    // Document inserts wait at a gate: the retry that runs holds the program until the test lets it go.
    const gate = await gateDocuments(h.db);
    const calls = Array.from({ length: 20 }, () =>
      fetch(`${service.baseUrl}/v1/programs/${programId}/retry?user_id=${USER}&retry_type=all`, { method: 'POST' }),
    );
    let answered = 0;
    for (const c of calls)
      void c.then(
        () => answered++,
        () => answered++,
      );
    await h.waitFor(async () => answered >= 19, '19 answers while one retry holds the program');
    await gate.release();
    const answers = await Promise.all(calls);
    const statuses = answers.map((a) => a.status).sort();
    expect(statuses).toEqual([200, ...Array(19).fill(409)]);
    await clearDocumentFaults(h.db);
    const r = await finish(service, programId, files, '20 concurrent manual retries', '1 × 200, 19 × 409 PROGRAM_BUSY');
    expect(r.program.metadata_json.retry_history).toHaveLength(1);
  });
});
