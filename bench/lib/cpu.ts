/**
 * CPU time by party during a measured span, from /proc: the service process (worker threads
 * included, and its main thread on its own), PostgreSQL (postmaster + its backends), s3rver, the
 * benchmark process itself, and whatever else ran on the machine meanwhile (other jobs share these
 * cores).
 */
import { execSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

let ticksPerSecond = 100;
try {
  ticksPerSecond = Number(execSync('getconf CLK_TCK', { encoding: 'utf8' }).trim()) || 100;
} catch {
  // Linux's usual value
}

interface ProcTimes {
  ppid: number;
  /** utime + stime, seconds. */
  own: number;
  /** cutime + cstime: children already waited for, seconds. */
  children: number;
}

function procTimes(pid: number, tid?: number): ProcTimes | undefined {
  let text: string;
  try {
    text = readFileSync(tid === undefined ? `/proc/${pid}/stat` : `/proc/${pid}/task/${tid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // Fields after "(comm)": state ppid … utime(14) stime(15) cutime(16) cstime(17), 1-based overall.
  const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const f = (n: number) => Number(rest[n - 3]);
  return { ppid: f(4), own: (f(14) + f(15)) / ticksPerSecond, children: (f(16) + f(17)) / ticksPerSecond };
}

/** A process plus all its live children (postgres backends), plus the children it has reaped. */
function treeSeconds(pid: number): number {
  const root = procTimes(pid);
  if (!root) return 0;
  let total = root.own + root.children;
  for (const name of readdirSync('/proc')) {
    const child = Number(name);
    if (!Number.isInteger(child) || child === pid) continue;
    const t = procTimes(child);
    if (t && t.ppid === pid) total += t.own;
  }
  return total;
}

function machine(): { busy: number; total: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0];
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  const total = v.slice(0, 8).reduce((a, b) => a + b, 0);
  const idle = (v[3] ?? 0) + (v[4] ?? 0);
  return { busy: (total - idle) / ticksPerSecond, total: total / ticksPerSecond };
}

/** utime + stime of one process (worker threads included), seconds; 0 when it is gone. */
export function processCpuSeconds(pid: number): number {
  return procTimes(pid)?.own ?? 0;
}

/**
 * utime + stime of a process's main thread alone (in the service: HTTP, SQL, S3 and the work loop;
 * extraction runs in worker threads), seconds; 0 when it is gone.
 */
export function mainThreadCpuSeconds(pid: number): number {
  return procTimes(pid, pid)?.own ?? 0;
}

function serviceSeconds(pids: number | readonly number[] | undefined, of = processCpuSeconds): number {
  if (pids === undefined) return 0;
  return (typeof pids === 'number' ? [pids] : pids).reduce((sum, pid) => sum + of(pid), 0);
}

export interface CpuPids {
  /** One service process, or several replicas (summed). */
  service?: number | readonly number[];
  postgres?: number;
  s3rver?: number;
}

interface CpuSnapshot {
  at: number;
  service: number;
  serviceMainThread: number;
  postgres: number;
  s3rver: number;
  bench: number;
  busy: number;
  total: number;
}

/** CPU seconds used during the span by each party; `other` is the rest of the machine's busy time. */
export interface CpuSpan {
  wallSeconds: number;
  service: number;
  /**
   * The part of `service` its main thread(s) used; the rest went to its other threads (extraction
   * workers, V8's garbage-collection helpers, libuv's pool).
   */
  serviceMainThread: number;
  postgres: number;
  s3rver: number;
  bench: number;
  other: number;
  idle: number;
  cores: number;
}

export class CpuMeter {
  private start?: CpuSnapshot;

  constructor(private readonly pids: CpuPids) {}

  private snap(): CpuSnapshot {
    const m = machine();
    const u = process.cpuUsage();
    return {
      at: performance.now(),
      service: serviceSeconds(this.pids.service),
      serviceMainThread: serviceSeconds(this.pids.service, mainThreadCpuSeconds),
      postgres: this.pids.postgres ? treeSeconds(this.pids.postgres) : 0,
      s3rver: this.pids.s3rver ? (procTimes(this.pids.s3rver)?.own ?? 0) : 0,
      bench: (u.user + u.system) / 1e6,
      busy: m.busy,
      total: m.total,
    };
  }

  begin(): this {
    this.start = this.snap();
    return this;
  }

  /** Call while the measured processes are still alive. */
  end(): CpuSpan {
    const a = this.start ?? this.snap();
    const b = this.snap();
    const r = (n: number) => Math.round(n * 100) / 100;
    const service = b.service - a.service;
    const postgres = b.postgres - a.postgres;
    const s3rver = b.s3rver - a.s3rver;
    const bench = b.bench - a.bench;
    const busy = b.busy - a.busy;
    const total = b.total - a.total;
    return {
      wallSeconds: r((b.at - a.at) / 1000),
      service: r(service),
      serviceMainThread: r(b.serviceMainThread - a.serviceMainThread),
      postgres: r(Math.max(0, postgres)),
      s3rver: r(s3rver),
      bench: r(bench),
      other: r(Math.max(0, busy - service - postgres - s3rver - bench)),
      idle: r(Math.max(0, total - busy)),
      cores: r(total / Math.max(0.001, (b.at - a.at) / 1000)),
    };
  }
}
