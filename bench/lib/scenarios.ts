import { Client } from 'pg';
import { createProgram, getProgram, Json, retryProgram, someFailures, summaryOf, waitFinished } from './api';
import { BenchContext, FLOOR_BUCKET, OUTPUT_BUCKET, SOURCE_BUCKET } from './context';
import { processCpuSeconds, type CpuSpan } from './cpu';
import type { LatencyProxyStats } from './latency-proxy';
import type { PdfFigures } from './pdf';
import { readLatency, type ReadRun } from './reads';
import { floorDocumentRetry, floorPreprocessAndStore, FloorResult } from './floor';
import { getBytes, sourceKey, uploadSources } from './s3';
import { RssSampler, ServiceProcess } from './service';
import { programStatesUpdates, SqlDelta, SqlStats } from './sql-stats';
import { log, round, sleep, thousands } from './util';

export interface SqlFigures {
  kind: SqlDelta['kind'];
  /** Everything the service's role ran on the scenario database during the measured span. */
  totalIncludingPolls: number;
  /** GET /v1/programs/{id} requests the benchmark made during the span. */
  polls: number;
  /** Statements one GET /v1/programs/{id} costs (measured after the program finished). */
  perGet: number;
  /** totalIncludingPolls − polls × perGet: the statements the program's own work needed. */
  program: number;
  perFile: number;
  metadataWriteCalls: number | null;
  top: SqlDelta['top'];
}

export interface ScenarioResult {
  id: string;
  label: string;
  files: number;
  concurrency: number;
  wallSeconds: number;
  filesPerSecond: number;
  floor?: FloorResult & { jsonBytes?: number; cpu?: CpuSpan };
  ratioToFloor?: number;
  /** CPU seconds by party during the measured span. */
  cpu?: CpuSpan;
  /** Highest VmRSS sampled every 50 ms during the measured span. */
  peakRssSampledMb: number;
  /** VmHWM at the end: the process's peak resident set over its whole life. */
  peakRssHwmMb: number;
  rssAtReadyMb: number;
  /** VmRSS once the program had finished (and five GETs were answered). */
  rssAtEndMb?: number;
  sql: SqlFigures;
  /** n_tup_upd of program_states over the service's life (read after it exited, so flushed). */
  programStatesRowUpdates: number | null;
  outcome: string;
  warnings: string[];
  /** The scale-out scenario's own figures (several replicas behind an S3 latency proxy). */
  scaleOut?: ScaleOutFigures;
  /** The PDF-heavy scenario's own figures (pages, CPU by thread, the processed JSONs checked). */
  pdf?: PdfFigures;
  extra: Json;
}

export interface ScaleOutReplica {
  /** Documents this replica stored (its ingest_files_total{stage="document",outcome="success"}). */
  documents: number | null;
  fencedWrites: number | null;
  cpuSeconds: number;
  peakRssMb: number;
}

export interface ScaleOutFigures {
  replicas: number;
  /** Added to every S3 answer by the proxy, ms. */
  s3DelayMs: number;
  /** PROCESSING_CONCURRENCY of each replica. */
  concurrencyPerReplica: number;
  /** files/s ÷ files/s of the one-replica run (same files, same proxy). */
  speedupVsOne?: number;
  /** SELECT count(*), count(DISTINCT source_index) FROM documents (the program's). */
  documents: number;
  distinctDocuments: number;
  perReplica: ScaleOutReplica[];
  /** The proxy's counters over the measured span. */
  proxy: LatencyProxyStats;
  /**
   * Ceiling if the S3 delay were the only limit: replicas × concurrency in flight, each file
   * waiting (S3 exchanges per file) × delay.
   */
  latencyCeilingFilesPerSecond: number | null;
  /**
   * Ceiling if CPU were the only limit: the machine's cores ÷ the CPU the service(s), PostgreSQL,
   * s3rver and the benchmark (the proxy) used per file in this run.
   */
  cpuCeilingFilesPerSecond: number;
  /** CPU of service(s) + PostgreSQL + s3rver + benchmark per file, ms. */
  cpuMsPerFile: number;
}

export interface LatencyResult {
  programFiles: number;
  existingSources: number;
  connections: number;
  durationSeconds: number;
  responseBytes: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
  requestsPerSecond: number;
  requests: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  /** Every read endpoint measured the same way (the first is the full-body GET above). */
  reads: ReadRun[];
  prepare: ScenarioResult;
}

const mb = (kb: number): number => round(kb / 1024, 1);

/** Statements per GET /v1/programs/{id}: five GETs between two snapshots. */
async function statementsPerGet(ctx: BenchContext, db: string, svc: ServiceProcess, id: string): Promise<number> {
  const a = await ctx.stats!.snapshot(db);
  for (let i = 0; i < 5; i++) await getProgram(svc.baseUrl, id);
  await sleep(200);
  const b = await ctx.stats!.snapshot(db);
  return SqlStats.delta(a, b).total / 5;
}

function sqlFigures(delta: SqlDelta, polls: number, perGet: number, files: number): SqlFigures {
  const program = Math.max(0, Math.round(delta.total - polls * perGet));
  return {
    kind: delta.kind,
    totalIncludingPolls: delta.total,
    polls,
    perGet,
    program,
    perFile: round(program / files, 2),
    metadataWriteCalls: delta.metadataWriteCalls,
    top: delta.top.slice(0, 15),
  };
}

function timeoutFor(files: number): number {
  return 120_000 + files * 100;
}

/** Size of a few of the program's processed JSONs (one of each source type), on average. */
async function processedJsonBytes(ctx: BenchContext, programId: string, count: number): Promise<number | undefined> {
  const sizes: number[] = [];
  for (let i = 0; i < Math.min(count, 6); i++) {
    try {
      const key = `programs/${programId}/processed_${programId}_${i}.json`;
      sizes.push((await getBytes(ctx.s3!, OUTPUT_BUCKET, key)).length);
    } catch {
      // not there (a failed file): skip
    }
  }
  return sizes.length ? Math.round(sizes.reduce((a, b) => a + b, 0) / sizes.length) : undefined;
}

export interface ProgramRunOptions {
  id: string;
  label: string;
  paths: readonly string[];
  concurrency: number;
  pollMs: number;
  expectAllSucceed: boolean;
  /** Another way to the same S3 server (the latency proxy). */
  s3Endpoint?: string;
  /** Runs after the service is ready and before the program is created (e.g. install a trigger). */
  beforeCreate?: (db: string) => Promise<void>;
  /** Runs after the program finished, with the service still up; may measure a second span. */
  afterFinish?: (ctx: AfterFinish) => Promise<void>;
}

export interface AfterFinish {
  db: string;
  svc: ServiceProcess;
  programId: string;
  result: ScenarioResult;
}

/** One program through a fresh service on a fresh database: create → finished, measured. */
export async function runProgram(ctx: BenchContext, o: ProgramRunOptions): Promise<ScenarioResult> {
  const db = await ctx.createDatabase(o.id);
  log(`${o.label}: starting the service (PROCESSING_CONCURRENCY=${o.concurrency}, database ${db})`);
  const svc = await ctx.startService(db, o.id, o.concurrency, { s3Endpoint: o.s3Endpoint });
  let result: ScenarioResult;
  try {
    const ready = svc.memory();
    if (o.beforeCreate) await o.beforeCreate(db);
    const before = await ctx.stats!.snapshot(db);
    const sampler = new RssSampler(svc.pid, 50).start();
    const cpu = ctx.cpu(svc);
    log(`${o.label}: creating the program (${thousands(o.paths.length)} files)`);
    const started = performance.now();
    const programId = await createProgram(svc.baseUrl, `bench ${o.id}`, o.paths);
    const fin = await waitFinished(svc.baseUrl, programId, {
      intervalMs: o.pollMs,
      timeoutMs: timeoutFor(o.paths.length),
      isAlive: () => svc.running,
      onProgress: (p) => log(`  ${summaryOf(p)}`),
    });
    const wallSeconds = (performance.now() - started) / 1000;
    const cpuSpan = cpu.end();
    const peakKb = sampler.stop();
    await sleep(500); // the lock's release and the last statements after the final status
    const after = await ctx.stats!.snapshot(db);
    const perGet = await statementsPerGet(ctx, db, svc, programId);
    const mem = svc.memory();
    const warnings: string[] = [];
    const m = fin.program.metadata_json ?? {};
    if (o.expectAllSucceed && (fin.program.status !== 'completed' || m.total_successful_documents !== o.paths.length)) {
      warnings.push(`expected every file to succeed: ${summaryOf(fin.program)}`);
      for (const f of await someFailures(svc.baseUrl, programId)) warnings.push(`  ${f}`);
    }
    result = {
      id: o.id,
      label: o.label,
      files: o.paths.length,
      concurrency: o.concurrency,
      wallSeconds: round(wallSeconds, 2),
      filesPerSecond: round(o.paths.length / wallSeconds, 1),
      peakRssSampledMb: mb(peakKb),
      peakRssHwmMb: mb(mem?.hwmKb ?? peakKb),
      rssAtReadyMb: mb(ready?.rssKb ?? 0),
      rssAtEndMb: mem ? mb(mem.rssKb) : undefined,
      cpu: cpuSpan,
      sql: sqlFigures(SqlStats.delta(before, after), fin.polls, perGet, o.paths.length),
      programStatesRowUpdates: null,
      outcome: summaryOf(fin.program),
      warnings,
      extra: { programId, getResponseBytes: fin.responseBytes, rssSamples: sampler.samples },
    };
    log(`${o.label}: ${result.outcome} in ${result.wallSeconds} s (${result.filesPerSecond} files/s)`);
    if (o.afterFinish) await o.afterFinish({ db, svc, programId, result });
  } catch (e) {
    const tail = svc.tail(30);
    await ctx.stopService(svc);
    throw new Error(`${o.label}: ${(e as Error).message}\n--- service log (tail) ---\n${tail}`);
  }
  await ctx.stopService(svc);
  // The service's backends have exited, so their table statistics are flushed now.
  result.programStatesRowUpdates = await programStatesUpdates(ctx.pg!.adminUrl(db));
  return result;
}

// ---------------------------------------------------------------------------------------

/** Uploads `count` ~2 KB sources under `prefix` (before any measurement). */
export async function upload(ctx: BenchContext, prefix: string, count: number): Promise<string[]> {
  log(`uploading ${thousands(count)} source files to s3://${SOURCE_BUCKET}/${prefix}/`);
  const up = await uploadSources(ctx.s3!, SOURCE_BUCKET, prefix, count);
  log(`  ${thousands(count)} files (${round(up.bytes / count / 1024, 2)} KiB each) in ${round(up.seconds, 1)} s`);
  return up.paths;
}

/** Brings s3rver's and PostgreSQL's hot paths up to speed before the first measurement. */
export async function warmUp(ctx: BenchContext, paths: readonly string[]): Promise<void> {
  const some = paths.slice(0, 1000);
  log(`warming up s3rver and PostgreSQL (${some.length} GETs, PUTs and INSERTs)`);
  await floorPreprocessAndStore({
    s3: ctx.s3!,
    pool: ctx.floorPool!,
    runId: 'warmup',
    sources: some,
    outBucket: FLOOR_BUCKET,
    jsonBytes: 5000,
    concurrency: ctx.concurrency,
  });
}

/** a + b: a program of `count` ~2 KB files end to end, then the floor on the same objects. */
export async function endToEnd(ctx: BenchContext, paths: readonly string[]): Promise<ScenarioResult> {
  const count = paths.length;
  const id = `e2e_${count}`;
  const result = await runProgram(ctx, {
    id,
    label: `end-to-end ${thousands(count)}`,
    paths,
    concurrency: ctx.concurrency,
    pollMs: 50,
    expectAllSucceed: true,
  });
  const measured = await processedJsonBytes(ctx, result.extra.programId, count);
  // Fallback when no processed JSON could be read: about 2.5× the ~2 KB source.
  const jsonBytes = measured ?? Math.round(2048 * 2.5);
  log(
    `floor ${thousands(count)}: GET source + PUT ${jsonBytes}-byte JSON + INSERT per file, concurrency ${ctx.concurrency}`,
  );
  const floorCpu = ctx.cpu();
  const floor = await floorPreprocessAndStore({
    s3: ctx.s3!,
    pool: ctx.floorPool!,
    runId: id,
    sources: paths,
    outBucket: FLOOR_BUCKET,
    jsonBytes,
    concurrency: ctx.concurrency,
  });
  const floorSpan = floorCpu.end();
  log(`  floor ${thousands(count)}: ${round(floor.seconds, 2)} s (${round(floor.filesPerSecond, 1)} files/s)`);
  result.floor = {
    ...floor,
    filesPerSecond: round(floor.filesPerSecond, 1),
    seconds: round(floor.seconds, 2),
    jsonBytes,
    cpu: floorSpan,
  };
  result.ratioToFloor = round(result.filesPerSecond / floor.filesPerSecond, 2);
  result.extra.processedJsonBytes = measured ?? null;
  return result;
}

/** c: the same work with one file in flight. */
export async function sequential(ctx: BenchContext, paths: readonly string[]): Promise<ScenarioResult> {
  const count = paths.length;
  return runProgram(ctx, {
    id: `seq_${count}`,
    label: `sequential ${thousands(count)} (concurrency 1)`,
    paths,
    concurrency: 1,
    pollMs: 50,
    expectAllSucceed: true,
  });
}

/**
 * d: a program whose every Document insert is refused by a trigger; the trigger is dropped and the
 * Document retry is timed. Floor: per file GET of the processed JSON + one INSERT.
 */
export async function documentRetry(ctx: BenchContext, paths: readonly string[]): Promise<ScenarioResult> {
  const count = paths.length;
  let retry: ScenarioResult | undefined;
  const firstRun = await runProgram(ctx, {
    id: `retry_${count}`,
    label: `document retry ${thousands(count)}: first run, every insert refused`,
    paths,
    concurrency: ctx.concurrency,
    pollMs: 50,
    expectAllSucceed: false,
    beforeCreate: (db) =>
      ctx.asAdmin(
        db,
        `CREATE FUNCTION bench_refuse_documents() RETURNS trigger LANGUAGE plpgsql AS
           $$ BEGIN RAISE EXCEPTION 'bench: documents refused'; END $$;
         CREATE TRIGGER bench_refuse_documents BEFORE INSERT ON documents
           FOR EACH ROW EXECUTE FUNCTION bench_refuse_documents();`,
      ),
    afterFinish: async ({ db, svc, programId, result }) => {
      const failed = result.outcome;
      const m = (await getProgram(svc.baseUrl, programId)).program.metadata_json ?? {};
      const docFailed = m.document_storage?.summary?.failed;
      if (docFailed !== count) throw new Error(`expected ${count} Document failures before the retry, got: ${failed}`);
      await ctx.asAdmin(
        db,
        `DROP TRIGGER bench_refuse_documents ON documents; DROP FUNCTION bench_refuse_documents();`,
      );
      const before = await ctx.stats!.snapshot(db);
      const sampler = new RssSampler(svc.pid, 50).start();
      const cpu = ctx.cpu(svc);
      log(`document retry ${thousands(count)}: POST /v1/programs/${programId}/retry?retry_type=document`);
      const started = performance.now();
      const answer = await retryProgram(svc.baseUrl, programId, 'document');
      const wallSeconds = (performance.now() - started) / 1000;
      const cpuSpan = cpu.end();
      const peakKb = sampler.stop();
      await sleep(500);
      const after = await ctx.stats!.snapshot(db);
      const after2 = (await getProgram(svc.baseUrl, programId)).program;
      const warnings: string[] = [];
      if (answer.results?.document?.success !== count) {
        warnings.push(`expected ${count} Documents stored by the retry, got ${JSON.stringify(answer.results)}`);
      }
      retry = {
        id: `retry_doc_${count}`,
        label: `retry ${thousands(count)} Documents`,
        files: count,
        concurrency: ctx.concurrency,
        wallSeconds: round(wallSeconds, 2),
        filesPerSecond: round(count / wallSeconds, 1),
        peakRssSampledMb: mb(peakKb),
        peakRssHwmMb: mb(svc.memory()?.hwmKb ?? peakKb),
        rssAtReadyMb: result.rssAtReadyMb,
        cpu: cpuSpan,
        sql: sqlFigures(SqlStats.delta(before, after), 0, result.sql.perGet, count),
        programStatesRowUpdates: null,
        outcome: `${summaryOf(after2)}; retry answered ${JSON.stringify(answer.results)}`,
        warnings,
        extra: { programId },
      };
      log(`  retry: ${round(wallSeconds, 2)} s (${retry.filesPerSecond} files/s): ${JSON.stringify(answer.results)}`);
    },
  });
  if (!retry) throw new Error('the retry was not measured');
  const bucketPaths = paths.map(
    (_, i) => `s3://${OUTPUT_BUCKET}/programs/${retry!.extra.programId}/processed_${retry!.extra.programId}_${i}.json`,
  );
  log(`floor retry ${thousands(count)}: GET processed JSON + INSERT per file, concurrency ${ctx.concurrency}`);
  const floorCpu = ctx.cpu();
  const floor = await floorDocumentRetry({
    s3: ctx.s3!,
    pool: ctx.floorPool!,
    runId: `retry_${count}`,
    processed: bucketPaths,
    concurrency: ctx.concurrency,
  });
  const floorSpan = floorCpu.end();
  log(`  floor retry: ${round(floor.seconds, 2)} s (${round(floor.filesPerSecond, 1)} files/s)`);
  retry.floor = {
    ...floor,
    filesPerSecond: round(floor.filesPerSecond, 1),
    seconds: round(floor.seconds, 2),
    cpu: floorSpan,
  };
  retry.ratioToFloor = round(retry.filesPerSecond / floor.filesPerSecond, 2);
  retry.extra.firstRun = {
    wallSeconds: firstRun.wallSeconds,
    filesPerSecond: firstRun.filesPerSecond,
    sqlStatements: firstRun.sql.program,
    outcome: firstRun.outcome,
  };
  retry.programStatesRowUpdates = firstRun.programStatesRowUpdates;
  return retry;
}

/**
 * e: a program of `total` paths of which one in 1,000 exists (the rest fail fast as
 * SOURCE_NOT_FOUND), then autocannon on GET /v1/programs/{id}.
 */
export const latencyExisting = (total: number): number => Math.ceil(total / 1000);

export async function getLatency(ctx: BenchContext, total: number, present: readonly string[]): Promise<LatencyResult> {
  const existing = latencyExisting(total);
  if (present.length !== existing)
    throw new Error(`the latency program needs ${existing} uploaded sources, got ${present.length}`);
  const paths: string[] = [];
  for (let i = 0; i < total; i++) {
    paths.push(i % 1000 === 0 ? present[i / 1000] : `s3://${SOURCE_BUCKET}/${sourceKey('latency-missing', i)}`);
  }
  let latency: Omit<LatencyResult, 'prepare'> | undefined;
  const prepare = await runProgram(ctx, {
    id: `latency_${total}`,
    label: `${thousands(total)} files, ${thousands(total - existing)} missing`,
    paths,
    concurrency: ctx.concurrency,
    pollMs: 250,
    expectAllSucceed: false,
    afterFinish: async ({ svc, programId }) => {
      const reads = await readLatency(svc.baseUrl, programId, { connections: 100, seconds: 10 });
      const full = reads[0];
      latency = {
        programFiles: total,
        existingSources: existing,
        connections: 100,
        durationSeconds: 10,
        responseBytes: full.bytes,
        p50: full.p50,
        p90: full.p90,
        p99: full.p99,
        max: full.max,
        mean: full.mean,
        requestsPerSecond: full.requestsPerSecond,
        requests: full.requests,
        non2xx: full.non2xx,
        errors: full.errors,
        timeouts: 0,
        reads,
      };
    },
  });
  if (!latency) throw new Error('latency was not measured');
  return { ...latency, prepare };
}

// ---------------------------------------------------------------------------------------
// Scale-out: 1, 2, 3 replicas on one database, S3 behind a latency proxy.

async function adminRows<T extends Record<string, unknown>>(
  ctx: BenchContext,
  db: string,
  sql: string,
  params: unknown[],
): Promise<T[]> {
  const c = new Client({ connectionString: ctx.pg!.adminUrl(db) });
  c.on('error', () => undefined);
  await c.connect();
  try {
    return (await c.query<T>(sql, params)).rows;
  } finally {
    await c.end().catch(() => undefined);
  }
}

/** Counters of one replica's /metrics (null when the service does not export them). */
async function replicaCounters(svc: ServiceProcess): Promise<{ documents: number | null; fenced: number | null }> {
  try {
    const res = await fetch(`${svc.baseUrl}/metrics`);
    if (res.status !== 200) return { documents: null, fenced: null };
    const text = await res.text();
    let documents: number | null = null;
    let fenced: number | null = null;
    for (const line of text.split('\n')) {
      const m = /^ingest_files_total\{([^}]*)\}\s+(\S+)/.exec(line);
      if (m && /stage="document"/.test(m[1]) && /outcome="success"/.test(m[1])) {
        documents = (documents ?? 0) + Number(m[2]);
      }
      const f = /^ingest_fenced_writes_total(?:\{[^}]*\})?\s+(\S+)/.exec(line);
      if (f) fenced = (fenced ?? 0) + Number(f[1]);
    }
    return { documents, fenced };
  } catch {
    return { documents: null, fenced: null };
  }
}

function proxyDelta(a: LatencyProxyStats, b: LatencyProxyStats): LatencyProxyStats {
  return {
    delayMs: b.delayMs,
    connections: b.connections - a.connections,
    roundTrips: b.roundTrips - a.roundTrips,
    chunks: b.chunks - a.chunks,
    bytesToClient: b.bytesToClient - a.bytesToClient,
    bytesToServer: b.bytesToServer - a.bytesToServer,
    peakOpen: b.peakOpen,
    maxLateMs: round(b.maxLateMs, 1),
    totalLateMs: round(b.totalLateMs - a.totalLateMs, 1),
  };
}

export interface ScaleOutOptions {
  /** Replica counts, in order; the first is the baseline of the ratios (1). */
  replicas: readonly number[];
  s3DelayMs: number;
}

/**
 * One program of `paths` (the same uploaded objects each time) worked by 1, then 2, then 3
 * replicas of the service on one fresh database per run, every replica's S3 behind the latency
 * proxy; all replicas are ready before the program is created (through the first one), and the
 * wall time runs from the create to the final status. Checked: every file a Document, no duplicate.
 */
export async function scaleOut(
  ctx: BenchContext,
  paths: readonly string[],
  o: ScaleOutOptions,
): Promise<ScenarioResult[]> {
  const count = paths.length;
  const proxy = await ctx.startLatencyProxy(o.s3DelayMs);
  log(`scale-out: S3 latency proxy on ${proxy.endpoint} → s3rver, +${o.s3DelayMs} ms on every answer`);
  const results: ScenarioResult[] = [];
  try {
    for (const replicas of o.replicas) {
      const r = await scaleOutRun(ctx, paths, replicas, o.s3DelayMs, proxy);
      const base = results.find((x) => x.scaleOut?.replicas === o.replicas[0]) ?? r;
      r.scaleOut!.speedupVsOne = round(r.filesPerSecond / base.filesPerSecond, 2);
      results.push(r);
      log(
        `scale-out ${thousands(count)}: ${replicas} replica${replicas > 1 ? 's' : ''} ${r.filesPerSecond} files/s, ` +
          `${r.scaleOut!.speedupVsOne}× one replica; CPU ${r.scaleOut!.cpuMsPerFile} ms/file (ceiling ` +
          `${r.scaleOut!.cpuCeilingFilesPerSecond} files/s), latency ceiling ${r.scaleOut!.latencyCeilingFilesPerSecond} files/s`,
      );
    }
  } finally {
    await ctx.stopLatencyProxy(proxy);
  }
  return results;
}

async function scaleOutRun(
  ctx: BenchContext,
  paths: readonly string[],
  replicas: number,
  s3DelayMs: number,
  proxy: { endpoint: string; stats: LatencyProxyStats },
): Promise<ScenarioResult> {
  const count = paths.length;
  const id = `scaleout_${count}_r${replicas}`;
  const label = `scale-out ${thousands(count)}, ${replicas} replica${replicas > 1 ? 's' : ''} (S3 +${s3DelayMs} ms)`;
  const db = await ctx.createDatabase(id);
  log(
    `${label}: starting ${replicas} service process(es) (PROCESSING_CONCURRENCY=${ctx.concurrency} each, database ${db})`,
  );
  const svcs: ServiceProcess[] = [];
  const stopAll = () => Promise.all(svcs.map((svc) => ctx.stopService(svc)));
  let result: ScenarioResult;
  try {
    // One after the other: the first migrates the fresh database, the others find it migrated.
    for (let k = 1; k <= replicas; k++) {
      svcs.push(await ctx.startService(db, `${id}_${k}`, ctx.concurrency, { s3Endpoint: proxy.endpoint }));
    }
    const first = svcs[0];
    const ready = first.memory();
    const before = await ctx.stats!.snapshot(db);
    const samplers = svcs.map((svc) => new RssSampler(svc.pid, 50).start());
    const cpuBefore = svcs.map((svc) => processCpuSeconds(svc.pid));
    // Peaks per run (the counters are differences).
    proxy.stats.maxLateMs = 0;
    proxy.stats.peakOpen = 0;
    const proxyBefore = { ...proxy.stats };
    const cpu = ctx.cpu(svcs);
    log(`${label}: creating the program (${thousands(count)} files) through replica 1`);
    const started = performance.now();
    const programId = await createProgram(first.baseUrl, `bench ${id}`, paths);
    const fin = await waitFinished(first.baseUrl, programId, {
      intervalMs: 50,
      timeoutMs: timeoutFor(count),
      isAlive: () => svcs.every((svc) => svc.running),
      onProgress: (p) => log(`  ${summaryOf(p)}`),
    });
    const wallSeconds = (performance.now() - started) / 1000;
    const cpuSpan = cpu.end();
    const cpuAfter = svcs.map((svc) => processCpuSeconds(svc.pid));
    const proxyStats = proxyDelta(proxyBefore, proxy.stats);
    const peaks = samplers.map((sm) => sm.stop());
    await sleep(500);
    const after = await ctx.stats!.snapshot(db);
    const perGet = await statementsPerGet(ctx, db, first, programId);
    const counters = await Promise.all(svcs.map((svc) => replicaCounters(svc)));
    const mems = svcs.map((svc) => svc.memory());
    const [docs] = await adminRows<{ n: number; d: number }>(
      ctx,
      db,
      `SELECT count(*)::int AS n, count(DISTINCT source_index)::int AS d FROM documents WHERE program_id = $1`,
      [programId],
    );
    const warnings: string[] = [];
    const m = fin.program.metadata_json ?? {};
    if (fin.program.status !== 'completed' || m.total_successful_documents !== count) {
      warnings.push(`expected every file to succeed: ${summaryOf(fin.program)}`);
      for (const f of await someFailures(first.baseUrl, programId)) warnings.push(`  ${f}`);
    }
    if (docs.n !== count || docs.d !== count) {
      warnings.push(`documents: ${docs.n} rows, ${docs.d} distinct source_index, expected ${count} of each`);
    }
    const shares = counters.map((c) => c.documents);
    const known = shares.filter((x): x is number => x !== null);
    const counted = known.reduce((a, b) => a + b, 0);
    if (known.length === shares.length && counted !== count) {
      warnings.push(`the replicas' document counters add up to ${counted}, not ${count}`);
    }
    // CPU of everything this benchmark runs (the service(s), PostgreSQL, s3rver, this process with the proxy).
    const ours = cpuSpan.service + cpuSpan.postgres + cpuSpan.s3rver + cpuSpan.bench;
    const cpuMsPerFile = (ours / count) * 1000;
    // Two S3 exchanges per file on a first run (GET the source, PUT the processed JSON).
    const exchangesPerFile = Math.max(1, proxyStats.roundTrips / count);
    result = {
      id,
      label,
      files: count,
      concurrency: ctx.concurrency,
      wallSeconds: round(wallSeconds, 2),
      filesPerSecond: round(count / wallSeconds, 1),
      peakRssSampledMb: mb(Math.max(...peaks)),
      peakRssHwmMb: mb(Math.max(...mems.map((x, i) => x?.hwmKb ?? peaks[i]))),
      rssAtReadyMb: mb(ready?.rssKb ?? 0),
      rssAtEndMb: mems[0] ? mb(mems[0].rssKb) : undefined,
      cpu: cpuSpan,
      sql: sqlFigures(SqlStats.delta(before, after), fin.polls, perGet, count),
      programStatesRowUpdates: null,
      outcome: summaryOf(fin.program),
      warnings,
      scaleOut: {
        replicas,
        s3DelayMs,
        concurrencyPerReplica: ctx.concurrency,
        documents: docs.n,
        distinctDocuments: docs.d,
        perReplica: svcs.map((_, i) => ({
          documents: counters[i].documents,
          fencedWrites: counters[i].fenced,
          cpuSeconds: round(cpuAfter[i] - cpuBefore[i], 2),
          peakRssMb: mb(mems[i]?.hwmKb ?? peaks[i]),
        })),
        proxy: proxyStats,
        latencyCeilingFilesPerSecond:
          s3DelayMs > 0 ? round((replicas * ctx.concurrency * 1000) / (exchangesPerFile * s3DelayMs), 0) : null,
        cpuCeilingFilesPerSecond: round((cpuSpan.cores * 1000) / cpuMsPerFile, 0),
        cpuMsPerFile: round(cpuMsPerFile, 2),
      },
      extra: { programId, getResponseBytes: fin.responseBytes, s3ExchangesPerFile: round(exchangesPerFile, 2) },
    };
    log(
      `${label}: ${result.outcome} in ${result.wallSeconds} s (${result.filesPerSecond} files/s); documents ` +
        `${docs.n} (${docs.d} distinct); per replica ${shares.map((x) => x ?? '?').join(' / ')}`,
    );
  } catch (e) {
    const tails = svcs.map((svc, i) => `--- replica ${i + 1} log (tail) ---\n${svc.tail(20)}`).join('\n');
    await stopAll();
    throw new Error(`${label}: ${(e as Error).message}\n${tails}`);
  }
  await stopAll();
  result.programStatesRowUpdates = await programStatesUpdates(ctx.pg!.adminUrl(db));
  return result;
}
