/**
 * The second edition's measurements (docs/benchmarks.md, "Paired runs"):
 * - a tightened floor that batches its INSERTs, at two concurrencies, the faster counting;
 * - floor and service in pairs, one right after the other, reported as the median of the pairs'
 *   ratios with their spread (the machine's speed drifts by tens of per cent within minutes);
 * - files/s against PROCESSING_CONCURRENCY behind the S3 latency proxy.
 */
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import pLimit from 'p-limit';
import { Client, Pool } from 'pg';
import { BenchContext, FLOOR_BUCKET } from './context';
import type { CpuSpan } from './cpu';
import { floorPreprocessAndStore, FloorResult, jsonOfSize, parse } from './floor';
import { getBytes } from './s3';
import { runProgram, ScenarioResult } from './scenarios';
import { log, round, thousands } from './util';

/** Rows per multi-row INSERT of the tightened floor. */
export const FLOOR_BATCH_ROWS = 100;
/** Concurrencies the tightened floor runs at; the faster counts. */
export const FLOOR_CONCURRENCIES = [16, 64] as const;

const COLUMNS = 10;
function insertSql(rows: number): string {
  const values: string[] = [];
  for (let r = 0; r < rows; r++) {
    const p = Array.from({ length: COLUMNS }, (_, c) => `$${r * COLUMNS + c + 1}`);
    values.push(`(${p.join(', ')})`);
  }
  return `INSERT INTO floor_documents (id, program_id, source_index, source_file_path, s3_path, title,
    content_type, characters, chunk_count, sha256) VALUES ${values.join(', ')}`;
}

/**
 * Per object one S3 GET and one S3 PUT, with the rows going to PostgreSQL in multi-row INSERTs of
 * FLOOR_BATCH_ROWS (the last one shorter), at most two INSERTs in flight. The clock stops when the
 * last INSERT committed.
 */
export async function floorBatched(opts: {
  s3: S3Client;
  pool: Pool;
  runId: string;
  sources: readonly string[];
  outBucket: string;
  jsonBytes: number;
  concurrency: number;
}): Promise<FloorResult> {
  const limit = pLimit(opts.concurrency);
  const inserts = pLimit(2);
  const flushes: Promise<unknown>[] = [];
  let rows: unknown[] = [];
  let count = 0;
  const flush = () => {
    if (count === 0) return;
    const params = rows;
    const n = count;
    rows = [];
    count = 0;
    flushes.push(inserts(() => opts.pool.query(insertSql(n), params)));
  };
  const started = performance.now();
  await Promise.all(
    opts.sources.map((src, i) =>
      limit(async () => {
        const { bucket, key } = parse(src);
        const bytes = await getBytes(opts.s3, bucket, key);
        const outKey = `floor/${opts.runId}/processed_${i}.json`;
        await opts.s3.send(
          new PutObjectCommand({
            Bucket: opts.outBucket,
            Key: outKey,
            Body: jsonOfSize(i, opts.jsonBytes),
            ContentType: 'application/json; charset=utf-8',
          }),
        );
        rows.push(
          `floor_${opts.runId}_${i}`,
          opts.runId,
          i,
          src,
          `s3://${opts.outBucket}/${outKey}`,
          `title ${i}`,
          'text/plain',
          bytes.length,
          1,
          '0'.repeat(64),
        );
        if (++count >= FLOOR_BATCH_ROWS) flush();
      }),
    ),
  );
  flush();
  await Promise.all(flushes);
  const seconds = (performance.now() - started) / 1000;
  return { files: opts.sources.length, seconds, filesPerSecond: opts.sources.length / seconds };
}

// ---------------------------------------------------------------------------------------
// Paired runs

export interface FloorRun {
  kind: 'batched' | 'per-row';
  concurrency: number;
  seconds: number;
  filesPerSecond: number;
  cpu: CpuSpan;
}

export interface Pair {
  pair: number;
  startedAt: string;
  floors: FloorRun[];
  /** The faster of the batched floors. */
  tightFilesPerSecond: number;
  /** The per-row floor at the service's concurrency (the first edition's). */
  oldFilesPerSecond: number;
  service: ScenarioResult;
  /** ms from the program's creation (its row's created_at) to each milestone, from the database. */
  timeline?: Timeline;
  ratioTight: number;
  ratioOld: number;
}

export interface Timeline {
  /** The first file's attempt began (its claim and the hand-off to the pipeline). */
  firstStarted: number;
  /** The first file's outcome was written. */
  firstFinished: number;
  /** The last file's outcome was written. */
  lastFinished: number;
  /** The program's settled status was written. */
  settled: number;
}

/** Where the wall time of a program went, read from the attempt rows and the program's row. */
async function timeline(ctx: BenchContext, db: string, programId: string): Promise<Timeline> {
  const c = new Client({ connectionString: ctx.pg!.adminUrl(db) });
  c.on('error', () => undefined);
  await c.connect();
  try {
    const { rows } = await c.query<Record<keyof Timeline, string>>(
      `SELECT extract(epoch FROM min(a.started_at) - p.created_at) * 1000 AS "firstStarted",
              extract(epoch FROM min(a.finished_at) - p.created_at) * 1000 AS "firstFinished",
              extract(epoch FROM max(a.finished_at) - p.created_at) * 1000 AS "lastFinished",
              extract(epoch FROM s.updated_at - p.created_at) * 1000 AS settled
       FROM programs p JOIN program_states s ON s.program_id = p.id
       JOIN file_attempts a ON a.program_id = p.id
       WHERE p.id = $1 GROUP BY p.created_at, s.updated_at`,
      [programId],
    );
    const r = rows[0];
    return {
      firstStarted: round(Number(r.firstStarted), 0),
      firstFinished: round(Number(r.firstFinished), 0),
      lastFinished: round(Number(r.lastFinished), 0),
      settled: round(Number(r.settled), 0),
    };
  } finally {
    await c.end().catch(() => undefined);
  }
}

export interface PairedFigures {
  files: number;
  jsonBytes: number;
  pairs: Pair[];
  ratioTight: Spread;
  ratioOld: Spread;
  serviceFilesPerSecond: Spread;
  tightFilesPerSecond: Spread;
  peakRssMb: Spread;
}

export interface Spread {
  median: number;
  min: number;
  max: number;
}

export function spread(xs: readonly number[]): Spread {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  const median = s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
  return { median, min: s[0], max: s[s.length - 1] };
}

async function truncateFloor(ctx: BenchContext): Promise<void> {
  // Every floor run starts on an empty table, as every service run starts on a fresh database.
  await ctx.floorPool!.query('TRUNCATE floor_documents');
  await ctx.floorPool!.query('VACUUM ANALYZE floor_documents');
}

async function oneFloor(
  ctx: BenchContext,
  kind: FloorRun['kind'],
  concurrency: number,
  runId: string,
  paths: readonly string[],
  jsonBytes: number,
  pool: Pool,
): Promise<FloorRun> {
  await truncateFloor(ctx);
  const meter = ctx.cpu();
  const args = { s3: ctx.s3!, pool, runId, sources: paths, outBucket: FLOOR_BUCKET, jsonBytes, concurrency };
  const r = kind === 'batched' ? await floorBatched(args) : await floorPreprocessAndStore(args);
  const cpu = meter.end();
  log(`  floor ${kind} c${concurrency}: ${round(r.seconds, 2)} s (${round(r.filesPerSecond, 1)} files/s)`);
  return { kind, concurrency, seconds: round(r.seconds, 3), filesPerSecond: round(r.filesPerSecond, 1), cpu };
}

/** The processed JSON size of these ~2 KB sources, from a short unmeasured service run. */
export async function calibrateJsonBytes(ctx: BenchContext, paths: readonly string[]): Promise<number> {
  const r = await runProgram(ctx, {
    id: 'calibrate',
    label: 'calibration (not measured)',
    paths: paths.slice(0, 300),
    concurrency: ctx.concurrency,
    pollMs: 50,
    expectAllSucceed: true,
  });
  const sizes: number[] = [];
  for (let i = 0; i < 6; i++) {
    const key = `programs/${r.extra.programId}/processed_${r.extra.programId}_${i}.json`;
    sizes.push((await getBytes(ctx.s3!, 'bench-output', key)).length);
  }
  return Math.round(sizes.reduce((a, b) => a + b, 0) / sizes.length);
}

/**
 * `pairs` times: the batched floor at each of FLOOR_CONCURRENCIES, the per-row floor at the
 * service's concurrency, then the service on a fresh database — the same objects each time.
 */
export async function paired(
  ctx: BenchContext,
  paths: readonly string[],
  pairs: number,
  jsonBytes: number,
): Promise<PairedFigures> {
  const count = paths.length;
  const pool = new Pool({
    connectionString: ctx.pg!.adminUrl('bench_floor'),
    max: Math.max(...FLOOR_CONCURRENCIES),
  });
  pool.on('error', () => undefined);
  const out: Pair[] = [];
  try {
    for (let p = 1; p <= pairs; p++) {
      log(`paired ${thousands(count)}: pair ${p} of ${pairs}`);
      const startedAt = new Date().toISOString();
      const floors: FloorRun[] = [];
      for (const c of FLOOR_CONCURRENCIES) {
        floors.push(await oneFloor(ctx, 'batched', c, `b${c}_${count}_${p}`, paths, jsonBytes, pool));
      }
      floors.push(await oneFloor(ctx, 'per-row', ctx.concurrency, `r_${count}_${p}`, paths, jsonBytes, ctx.floorPool!));
      let line: Timeline | undefined;
      const service = await runProgram(ctx, {
        id: `pair_${count}_${p}`,
        label: `paired ${thousands(count)} #${p}`,
        paths,
        concurrency: ctx.concurrency,
        pollMs: 50,
        expectAllSucceed: true,
        afterFinish: async ({ db, programId }) => {
          line = await timeline(ctx, db, programId);
        },
      });
      if (service.warnings.length) throw new Error(`pair ${p}: ${service.warnings.join('; ')}`);
      const tight = Math.max(...floors.filter((f) => f.kind === 'batched').map((f) => f.filesPerSecond));
      const old = floors.find((f) => f.kind === 'per-row')!.filesPerSecond;
      const pair: Pair = {
        pair: p,
        startedAt,
        floors,
        tightFilesPerSecond: tight,
        oldFilesPerSecond: old,
        service,
        timeline: line,
        ratioTight: round(service.filesPerSecond / tight, 3),
        ratioOld: round(service.filesPerSecond / old, 3),
      };
      // The run's samples are many; the table needs none of them.
      delete pair.service.extra.rssSamples;
      log(
        `  pair ${p}: service ${service.filesPerSecond} files/s, ${pair.ratioTight}× the batched floor, ` +
          `${pair.ratioOld}× the per-row floor, peak RSS ${service.peakRssHwmMb} MB; ms after create: first file ` +
          `started ${line?.firstStarted}, done ${line?.firstFinished}, last done ${line?.lastFinished}, settled ${line?.settled}`,
      );
      out.push(pair);
    }
  } finally {
    await pool.end();
  }
  return {
    files: count,
    jsonBytes,
    pairs: out,
    ratioTight: spread(out.map((p) => p.ratioTight)),
    ratioOld: spread(out.map((p) => p.ratioOld)),
    serviceFilesPerSecond: spread(out.map((p) => p.service.filesPerSecond)),
    tightFilesPerSecond: spread(out.map((p) => p.tightFilesPerSecond)),
    peakRssMb: spread(out.map((p) => p.service.peakRssHwmMb)),
  };
}

// ---------------------------------------------------------------------------------------
// Files/s against PROCESSING_CONCURRENCY behind the S3 latency proxy

export interface SweepRun {
  concurrency: number;
  files: number;
  wallSeconds: number;
  filesPerSecond: number;
  timesSequential: number;
  /** Files in flight ÷ (S3 exchanges per file × delay): what S3 latency alone would allow. */
  latencyCeiling: number;
  cpu: CpuSpan;
  idleShare: number;
  peakRssMb: number;
}

export interface SweepFigures {
  s3DelayMs: number;
  runs: SweepRun[];
}

export async function concurrencySweep(
  ctx: BenchContext,
  paths: readonly string[],
  o: { s3DelayMs: number; concurrencies: readonly number[]; sequentialFiles: number },
): Promise<SweepFigures> {
  const proxy = await ctx.startLatencyProxy(o.s3DelayMs);
  const runs: SweepRun[] = [];
  try {
    for (const c of o.concurrencies) {
      const files = c === 1 ? paths.slice(0, o.sequentialFiles) : paths;
      const r = await runProgram(ctx, {
        id: `sweep_c${c}`,
        label: `S3 +${o.s3DelayMs} ms, concurrency ${c}`,
        paths: files,
        concurrency: c,
        pollMs: 100,
        expectAllSucceed: true,
        s3Endpoint: proxy.endpoint,
      });
      if (r.warnings.length) throw new Error(`concurrency ${c}: ${r.warnings.join('; ')}`);
      const cpu = r.cpu!;
      const total = cpu.service + cpu.postgres + cpu.s3rver + cpu.bench + cpu.other + cpu.idle;
      runs.push({
        concurrency: c,
        files: files.length,
        wallSeconds: r.wallSeconds,
        filesPerSecond: r.filesPerSecond,
        timesSequential: 0,
        latencyCeiling: round((c * 1000) / (2 * o.s3DelayMs), 0),
        cpu,
        idleShare: total > 0 ? round(cpu.idle / total, 2) : 0,
        peakRssMb: r.peakRssHwmMb,
      });
    }
  } finally {
    await ctx.stopLatencyProxy(proxy);
  }
  const seq = runs.find((r) => r.concurrency === 1);
  for (const r of runs) r.timesSequential = seq ? round(r.filesPerSecond / seq.filesPerSecond, 2) : 0;
  return { s3DelayMs: o.s3DelayMs, runs };
}
