/** The "Paired runs, latency sweep and reads" section of docs/benchmarks.md. */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { PairedFigures, Spread, SweepFigures } from './paired';
import type { ReadRun } from './reads';
import { round, thousands } from './util';

export interface SecondEditionFigures {
  startedAt: string;
  flags: string[];
  cores: number;
  loadAverageAtStart: number[];
  concurrency: number;
  paired: PairedFigures[];
  sweep?: SweepFigures;
  reads?: { programFiles: number; failures: number; runs: ReadRun[] };
}

export const TIGHT_FLOOR_RATIO = 0.9;
export const RSS_GROWTH_10K_MB = 60;
export const READ_P99_MS = 50;
export const SWEEP_TIMES_SEQUENTIAL = 10;

const f2 = (n: number) => round(n, 2).toFixed(2);
const f1 = (n: number) => round(n, 1).toFixed(1);
const sp = (s: Spread, f: (n: number) => string) => `${f(s.median)} [${f(s.min)}–${f(s.max)}]`;

interface Verdict {
  name: string;
  met: boolean | undefined;
  detail: string;
}

export function secondEditionTargets(r: SecondEditionFigures): Verdict[] {
  const out: Verdict[] = [];
  const bySize = (n: number) => r.paired.find((p) => p.files === n);
  for (const n of [10_000, 300]) {
    const p = bySize(n);
    out.push({
      name: `one replica ≥ ${TIGHT_FLOOR_RATIO}× the batched floor at ${thousands(n)} files (median of pairs)`,
      met: p ? p.ratioTight.median >= TIGHT_FLOOR_RATIO : undefined,
      detail: p ? `${sp(p.ratioTight, f2)}× over ${p.pairs.length} pairs` : 'not run',
    });
  }
  const big = bySize(10_000);
  const small = bySize(300);
  out.push({
    name: `peak RSS at 10,000 files ≤ peak at 300 + ${RSS_GROWTH_10K_MB} MB (medians)`,
    met: big && small ? big.peakRssMb.median <= small.peakRssMb.median + RSS_GROWTH_10K_MB : undefined,
    detail:
      big && small
        ? `${f1(big.peakRssMb.median)} MB vs ${f1(small.peakRssMb.median)} MB (+${f1(big.peakRssMb.median - small.peakRssMb.median)})`
        : 'not run',
  });
  if (r.sweep) {
    const d = r.sweep.runs.find((x) => x.concurrency === r.concurrency);
    out.push({
      name: `≥ ${SWEEP_TIMES_SEQUENTIAL}× the sequential baseline at the default concurrency (S3 +${r.sweep.s3DelayMs} ms)`,
      met: d ? d.timesSequential >= SWEEP_TIMES_SEQUENTIAL : undefined,
      detail: d ? `${f2(d.timesSequential)}× at concurrency ${d.concurrency}` : 'not run',
    });
  }
  for (const run of r.reads?.runs ?? []) {
    out.push({
      name: `${run.name} p99 < ${READ_P99_MS} ms under 100 clients`,
      met: run.p99 < READ_P99_MS,
      detail: `p99 ${run.p99} ms (p50 ${run.p50}, max ${run.max}), ${f1(run.requestsPerSecond)} req/s`,
    });
  }
  return out;
}

function pairedTable(p: PairedFigures): string {
  const head =
    '| pair | start (UTC) | batched floor c16 files/s | batched c64 | per-row floor c16 | service files/s | ÷ batched floor | ÷ per-row floor | peak RSS MB | service CPU ms/file | other processes CPU s | ms after create: first file started / done, last done, settled |\n' +
    '|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|';
  const rows = p.pairs.map((x) => {
    const fl = (kind: string, c: number) =>
      f1(x.floors.find((f) => f.kind === kind && f.concurrency === c)?.filesPerSecond ?? NaN);
    const cpu = x.service.cpu;
    const other = x.floors.reduce((a, f) => a + f.cpu.other, cpu?.other ?? 0);
    return (
      `| ${x.pair} | ${x.startedAt.slice(11, 19)} | ${fl('batched', 16)} | ${fl('batched', 64)} | ` +
      `${fl('per-row', x.service.concurrency)} | ${f1(x.service.filesPerSecond)} | ${f2(x.ratioTight)}× | ${f2(x.ratioOld)}× | ` +
      `${f1(x.service.peakRssHwmMb)} | ${cpu ? f2((cpu.service / p.files) * 1000) : '—'} | ${f1(other)} | ` +
      `${x.timeline ? `${x.timeline.firstStarted} / ${x.timeline.firstFinished}, ${x.timeline.lastFinished}, ${x.timeline.settled}` : '—'} |`
    );
  });
  return [head, ...rows].join('\n');
}

export function secondEditionSection(r: SecondEditionFigures): string {
  const parts: string[] = [
    '## Paired runs, latency sweep and reads',
    '',
    `Run ${r.startedAt}, flags: ${r.flags.join(' ') || '(none)'}; load average when the run started: ` +
      `${r.loadAverageAtStart.join(', ')} on ${r.cores} cores; PROCESSING_CONCURRENCY ${r.concurrency}.`,
    '',
  ];
  if (r.paired.length) {
    parts.push(
      'Each pair: the **batched floor** (per object one S3 GET and one S3 PUT, the rows in multi-row INSERTs',
      'of 100, at concurrency 16 and at 64 — the faster counts), the **per-row floor** of the first edition',
      '(one INSERT per object, at the service’s concurrency), then the service on a fresh database, on the',
      'same objects, one right after the other. Ratio = service files/s ÷ floor files/s of the same pair;',
      'the summary is the median of the pairs with [min–max].',
      '',
      '| files | pairs | processed JSON bytes | service files/s | batched floor files/s | ÷ batched floor | ÷ per-row floor | peak RSS MB |',
      '|---:|---:|---:|---:|---:|---:|---:|---:|',
      ...r.paired.map(
        (p) =>
          `| ${thousands(p.files)} | ${p.pairs.length} | ${thousands(p.jsonBytes)} | ${sp(p.serviceFilesPerSecond, f1)} | ` +
          `${sp(p.tightFilesPerSecond, f1)} | ${sp(p.ratioTight, f2)}× | ${sp(p.ratioOld, f2)}× | ${sp(p.peakRssMb, f1)} |`,
      ),
      '',
    );
    for (const p of r.paired) parts.push(`Per pair, ${thousands(p.files)} files:`, '', pairedTable(p), '');
  }
  if (r.sweep) {
    parts.push(
      `### Files/s against \`PROCESSING_CONCURRENCY\`, S3 +${r.sweep.s3DelayMs} ms`,
      '',
      'One replica, S3 behind the latency proxy of the scale-out runs (each S3 exchange one round trip of the',
      'delay more). Latency ceiling: concurrency ÷ (2 exchanges × delay) — what S3 latency alone would allow.',
      '',
      '| concurrency | files | wall s | files/s | × sequential | latency ceiling files/s | idle core share | peak RSS MB |',
      '|---:|---:|---:|---:|---:|---:|---:|---:|',
      ...r.sweep.runs.map(
        (x) =>
          `| ${x.concurrency} | ${thousands(x.files)} | ${f2(x.wallSeconds)} | ${f1(x.filesPerSecond)} | ${f2(x.timesSequential)}× | ` +
          `${thousands(x.latencyCeiling)} | ${Math.round(x.idleShare * 100)} % | ${f1(x.peakRssMb)} |`,
      ),
      '',
    );
  }
  if (r.reads) {
    parts.push(
      `### Reads under 100 clients (${thousands(r.reads.programFiles)}-file program, ${thousands(r.reads.failures)} failures)`,
      '',
      'autocannon, 100 connections for 10 s each, against the service that ran the program (nothing else running).',
      '',
      '| request | answer | bytes | p50 ms | p90 ms | p99 ms | max ms | requests/s | unexpected answers |',
      '|---|---:|---:|---:|---:|---:|---:|---:|---:|',
      ...r.reads.runs.map(
        (x) =>
          `| ${x.name} | ${x.status} | ${thousands(x.bytes)} | ${x.p50} | ${x.p90} | ${x.p99} | ${x.max} | ${f1(x.requestsPerSecond)} | ${x.non2xx + x.errors} |`,
      ),
      '',
    );
  }
  parts.push(
    'Targets (reported, not asserted):',
    '',
    ...secondEditionTargets(r).map(
      (t) => `- **${t.met === undefined ? 'not run' : t.met ? 'met' : 'missed'}** — ${t.name}: ${t.detail}`,
    ),
  );
  return parts.join('\n');
}

const START = '<!-- paired:start -->';
const END = '<!-- paired:end -->';

/** Replaces the section between its markers, or adds it before "## Optimisations". */
export function writeSecondEditionDoc(path: string, r: SecondEditionFigures): boolean {
  if (!existsSync(path) || (!r.paired.length && !r.sweep && !r.reads)) return false;
  const block = `${START}\n${secondEditionSection(r)}\n${END}`;
  const text = readFileSync(path, 'utf8');
  const a = text.indexOf(START);
  const b = text.indexOf(END);
  if (a >= 0 && b > a) {
    writeFileSync(path, text.slice(0, a) + block + text.slice(b + END.length));
    return true;
  }
  const at = text.indexOf('\n## Optimisations');
  writeFileSync(
    path,
    at >= 0 ? `${text.slice(0, at)}\n${block}\n${text.slice(at)}` : `${text.trimEnd()}\n\n${block}\n`,
  );
  return true;
}
