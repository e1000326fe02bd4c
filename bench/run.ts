/**
 * npm run bench — how fast a program moves through the service compared with the least work the
 * same storage could do. See docs/benchmarks.md for the method; flags: --quick, --huge,
 * --concurrency N, --keep-data, --only a,b (scenario ids: e2e300, e2e10k, seq, retry, latency, huge, scaleout,
 * pdf, paired, sweep), --scaleout-files N, --s3-delay-ms N, --pairs-10k N, --pairs-300 N, --service-dir DIR
 * (measure another checkout's build).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release, totalmem, type as osType } from 'node:os';
import { join, resolve } from 'node:path';
import { BenchContext } from './lib/context';
import { calibrateJsonBytes, concurrencySweep, paired, PairedFigures, SweepFigures } from './lib/paired';
import { SecondEditionFigures, writeSecondEditionDoc } from './lib/paired-report';
import { PDF_FILES, pdfHeavy, PdfSources, uploadPdfs } from './lib/pdf';
import { BenchReport, evaluateTargets, printSummary, writeBenchmarksDoc, writeScaleOutDoc } from './lib/report';
import {
  documentRetry,
  endToEnd,
  getLatency,
  LatencyResult,
  latencyExisting,
  scaleOut,
  ScenarioResult,
  sequential,
  upload,
  warmUp,
} from './lib/scenarios';
import { errText, log, round } from './lib/util';

interface Options {
  quick: boolean;
  huge: boolean;
  keepData: boolean;
  concurrency: number;
  /** Files of the scale-out program (10,000; 1,000 with --quick). */
  scaleoutFiles?: number;
  /** The S3 latency proxy's delay in the scale-out scenario. */
  s3DelayMs: number;
  /** Floor/service pairs at 10,000 and at 300 files. */
  pairs10k: number;
  pairs300: number;
  only?: Set<string>;
  /** Another checkout whose built service is measured instead of this one's. */
  serviceDir?: string;
  flags: string[];
}

// The AWS SDK warns about Node 20's end of support on first use; the rest are shown as usual.
process.removeAllListeners('warning');
process.on('warning', (w) => {
  if (!/NodeVersionSupportWarning/.test(`${w.name} ${w.message}`)) process.stderr.write(`${w.name}: ${w.message}\n`);
});

const SCENARIOS = ['e2e300', 'e2e10k', 'seq', 'retry', 'latency', 'huge', 'scaleout', 'pdf', 'paired', 'sweep'];
/** PROCESSING_CONCURRENCY values of the latency sweep (1 is the sequential baseline). */
const SWEEP_CONCURRENCIES = [1, 16, 64, 256];
/** Run only when named with --only (or, for huge, --huge): not part of the default run. */
const OPT_IN = new Set(['huge', 'pdf']);
/** Replica counts of the scale-out scenario; the first is the baseline of its ratios. */
const SCALEOUT_REPLICAS = [1, 2, 3];

function parseArgs(argv: string[]): Options {
  const o: Options = {
    quick: false,
    huge: false,
    keepData: false,
    concurrency: 16,
    s3DelayMs: 20,
    pairs10k: 3,
    pairs300: 5,
    flags: [],
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--quick') o.quick = true;
    else if (a === '--huge') o.huge = true;
    else if (a === '--keep-data') o.keepData = true;
    else if (a === '--concurrency') {
      o.concurrency = Number(value());
      if (!Number.isInteger(o.concurrency) || o.concurrency < 1 || o.concurrency > 256) {
        throw new Error('--concurrency must be an integer from 1 to 256');
      }
    } else if (a === '--scaleout-files') {
      o.scaleoutFiles = Number(value());
      if (!Number.isInteger(o.scaleoutFiles) || o.scaleoutFiles < 1 || o.scaleoutFiles > 1_000_000) {
        throw new Error('--scaleout-files must be an integer from 1 to 1,000,000');
      }
    } else if (a === '--s3-delay-ms') {
      o.s3DelayMs = Number(value());
      if (!Number.isInteger(o.s3DelayMs) || o.s3DelayMs < 0 || o.s3DelayMs > 1000) {
        throw new Error('--s3-delay-ms must be an integer from 0 to 1000');
      }
    } else if (a === '--pairs-10k' || a === '--pairs-300') {
      const n = Number(value());
      if (!Number.isInteger(n) || n < 0 || n > 50) throw new Error(`${a} must be an integer from 0 to 50`);
      if (a === '--pairs-10k') o.pairs10k = n;
      else o.pairs300 = n;
    } else if (a === '--service-dir') {
      o.serviceDir = value();
    } else if (a === '--only') {
      o.only = new Set(value().split(','));
      for (const s of o.only)
        if (!SCENARIOS.includes(s)) throw new Error(`--only: unknown scenario ${s} (${SCENARIOS.join(', ')})`);
    } else if (a === '--help' || a === '-h') {
      process.stdout.write(
        'npm run bench [-- --quick] [-- --huge] [--concurrency N] [--keep-data] [--scaleout-files N] [--s3-delay-ms N] [--pairs-10k N] [--pairs-300 N] [--service-dir DIR] [--only ' +
          SCENARIOS.join(',') +
          ']\n',
      );
      process.exit(0);
    } else throw new Error(`unknown argument ${a} (try --help)`);
    // The other checkout's path is machine-specific: the report names its commit instead (see below).
    if (a !== '--service-dir') {
      o.flags.push(
        ['--concurrency', '--only', '--scaleout-files', '--s3-delay-ms', '--pairs-10k', '--pairs-300'].includes(a)
          ? `${a} ${argv[i]}`
          : a,
      );
    }
  }
  return o;
}

async function main(): Promise<number> {
  const opts = parseArgs(process.argv.slice(2));
  const root = resolve(__dirname, '..', '..');
  const startedAt = new Date();
  const load = loadavg();
  const ctx = new BenchContext(root, opts.concurrency, opts.keepData, opts.serviceDir);
  const want = (s: string) => (opts.only ? opts.only.has(s) : !OPT_IN.has(s) || (s === 'huge' && opts.huge));

  let interrupted = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (interrupted) return;
    interrupted = true;
    log(`${signal}: stopping everything`);
    void ctx.cleanup().finally(() => process.exit(130));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const scenarios: ScenarioResult[] = [];
  let latency: LatencyResult | undefined;
  const pairedRuns: PairedFigures[] = [];
  let sweep: SweepFigures | undefined;
  try {
    await ctx.start();
    if (opts.serviceDir) opts.flags.push(`--service-dir (the build of ${ctx.build!.commit})`);
    // Every source is uploaded before anything is measured, each scenario under a prefix of its own.
    const latencyFiles = opts.quick ? 20_000 : 100_000;
    const scaleoutFiles = opts.scaleoutFiles ?? (opts.quick ? 1000 : 10_000);
    const src = {
      e2e300: want('e2e300') ? await upload(ctx, 'e2e-300', 300) : [],
      e2e10k: want('e2e10k') || want('paired') || want('sweep') ? await upload(ctx, 'e2e-10000', 10_000) : [],
      huge: want('huge') ? await upload(ctx, 'e2e-100000', 100_000) : [],
      seq: want('seq') ? await upload(ctx, 'seq-300', 300) : [],
      retry: want('retry') ? await upload(ctx, 'retry-1000', 1000) : [],
      latency: want('latency') ? await upload(ctx, 'latency', latencyExisting(latencyFiles)) : [],
      scaleout: [] as string[],
      pdf: want('pdf') ? await uploadPdfs(ctx, `pdf-${PDF_FILES}`, PDF_FILES) : undefined,
    };
    // The scale-out program reads the 10,000 end-to-end objects when it has as many files.
    if (want('scaleout')) {
      src.scaleout =
        src.e2e10k.length === scaleoutFiles
          ? src.e2e10k
          : await upload(ctx, `scaleout-${scaleoutFiles}`, scaleoutFiles);
    }
    const warm = await upload(ctx, 'warmup', 1000);
    await warmUp(ctx, warm);
    if (want('paired')) {
      const jsonBytes = await calibrateJsonBytes(ctx, warm);
      if (opts.pairs300) pairedRuns.push(await paired(ctx, src.e2e10k.slice(0, 300), opts.pairs300, jsonBytes));
      if (opts.pairs10k) pairedRuns.push(await paired(ctx, src.e2e10k, opts.pairs10k, jsonBytes));
    }
    if (want('sweep')) {
      sweep = await concurrencySweep(ctx, src.e2e10k.slice(0, opts.quick ? 1000 : 5000), {
        s3DelayMs: opts.s3DelayMs,
        concurrencies: SWEEP_CONCURRENCIES,
        sequentialFiles: opts.quick ? 200 : 500,
      });
    }
    if (want('e2e300')) scenarios.push(await endToEnd(ctx, src.e2e300));
    if (want('e2e10k')) scenarios.push(await endToEnd(ctx, src.e2e10k));
    if (want('huge')) scenarios.push(await endToEnd(ctx, src.huge));
    if (want('seq')) scenarios.push(await sequential(ctx, src.seq));
    if (want('retry')) scenarios.push(await documentRetry(ctx, src.retry));
    if (want('latency')) {
      latency = await getLatency(ctx, latencyFiles, src.latency);
      scenarios.push(latency.prepare);
    }
    if (want('scaleout')) {
      scenarios.push(
        ...(await scaleOut(ctx, src.scaleout, { replicas: SCALEOUT_REPLICAS, s3DelayMs: opts.s3DelayMs })),
      );
    }
    if (want('pdf')) scenarios.push(await pdfHeavy(ctx, src.pdf as PdfSources));
  } catch (e) {
    if (interrupted) {
      await ctx.cleanup();
      return 130;
    }
    log(`FAILED: ${errText(e)}`);
    await ctx.cleanup();
    return 1;
  }
  const cpu = cpus();
  const report: BenchReport = {
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    durationSeconds: round((Date.now() - startedAt.getTime()) / 1000, 1),
    flags: opts.flags,
    concurrency: opts.concurrency,
    service: ctx.build,
    machine: {
      cpuModel: cpu[0]?.model.trim() ?? '?',
      cpus: cpu.length,
      cpuMHz: cpu[0]?.speed ?? 0,
      memoryGiB: round(totalmem() / 1024 ** 3, 1),
      node: process.version,
      postgres: ctx.pg?.version ?? '?',
      statStatements: ctx.pg?.statStatements ?? false,
      os: `${osType()} ${release()}`,
      loadAverageAtStart: load.map((x) => round(x, 2)),
    },
    scenarios,
    latency,
    targets: evaluateTargets(scenarios, latency),
  };
  await ctx.cleanup();

  mkdirSync(ctx.resultsDir, { recursive: true });
  writeFileSync(join(ctx.resultsDir, 'latest.json'), `${JSON.stringify(report, null, 2)}\n`);
  const doc = join(root, 'docs', 'benchmarks.md');
  if (!opts.only) writeBenchmarksDoc(doc, report);
  // The scale-out section compares its own runs only: written whenever they ran, --only or not.
  const scaleOutWritten = writeScaleOutDoc(doc, report);
  const second: SecondEditionFigures = {
    startedAt: report.startedAt,
    flags: opts.flags,
    cores: cpu.length,
    loadAverageAtStart: report.machine.loadAverageAtStart,
    concurrency: opts.concurrency,
    paired: pairedRuns,
    sweep,
    reads: latency
      ? {
          programFiles: latency.programFiles,
          failures: latency.programFiles - latency.existingSources,
          runs: latency.reads,
        }
      : undefined,
  };
  writeFileSync(join(ctx.resultsDir, 'second-edition.json'), `${JSON.stringify(second, null, 2)}\n`);
  const secondWritten = writeSecondEditionDoc(doc, second);
  if (opts.only) {
    log(
      `--only: docs/benchmarks.md ${scaleOutWritten || secondWritten ? 'gets only its scale-out / paired sections' : 'left as it is'}`,
    );
  }
  process.stdout.write(printSummary(report));
  log(
    `raw results: bench/results/latest.json${opts.only ? (scaleOutWritten ? '; scale-out section: docs/benchmarks.md' : '') : '; table: docs/benchmarks.md'}`,
  );
  return 0;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    log(`FAILED: ${errText(e)}`);
    process.exit(1);
  },
);
