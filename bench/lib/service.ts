/** The built service (`node dist/main.js`) as a child process, its readiness and its memory. */
import { ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, existsSync, readFileSync, WriteStream } from 'node:fs';
import { errText, freePort, sleep } from './util';
import type { Watchdog } from './watchdog';

export interface ServiceOptions {
  /** The service's working directory: the checkout it was built in (this one, or --service-dir). */
  cwd: string;
  /** The built entry point (a snapshot of dist/main.js, or another checkout's dist/main.js). */
  main: string;
  /** The service's DATA_DIR (under the benchmark's .bench-data/). */
  dataDir: string;
  databaseUrl: string;
  s3Endpoint: string;
  bucket: string;
  concurrency: number;
  logFile: string;
  extraEnv?: Record<string, string>;
}

export interface MemoryReading {
  rssKb: number;
  hwmKb: number;
}

export function readMemory(pid: number): MemoryReading | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return undefined;
  }
  const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? NaN);
  return { rssKb: field('VmRSS'), hwmKb: field('VmHWM') };
}

/** Samples VmRSS of a process every `intervalMs` until stopped; keeps the peak. */
export class RssSampler {
  private timer?: NodeJS.Timeout;
  peakKb = 0;
  samples = 0;

  constructor(
    private readonly pid: number,
    private readonly intervalMs = 50,
  ) {}

  start(): this {
    this.sample();
    this.timer = setInterval(() => this.sample(), this.intervalMs);
    return this;
  }

  stop(): number {
    if (this.timer) clearInterval(this.timer);
    this.sample();
    return this.peakKb;
  }

  private sample(): void {
    const m = readMemory(this.pid);
    if (m && Number.isFinite(m.rssKb)) {
      this.samples++;
      if (m.rssKb > this.peakKb) this.peakKb = m.rssKb;
    }
  }
}

export class ServiceProcess {
  private exitInfo?: string;
  private readonly exited: Promise<void>;

  private constructor(
    readonly child: ChildProcess,
    readonly baseUrl: string,
    private readonly logStream: WriteStream,
    private readonly logFile: string,
    private readonly watchdog: Watchdog,
  ) {
    this.exited = new Promise<void>((resolve) => {
      child.once('exit', (code, signal) => {
        this.exitInfo = `code ${code}, signal ${signal}`;
        resolve();
      });
    });
  }

  get pid(): number {
    return this.child.pid!;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  static async start(opts: ServiceOptions, watchdog: Watchdog, bootTimeoutMs = 90_000): Promise<ServiceProcess> {
    const main = opts.main;
    if (!existsSync(main)) throw new Error(`${main} does not exist: run npm run build first`);
    const port = await freePort();
    const logStream = createWriteStream(opts.logFile, { flags: 'a' });
    const child = spawn(process.execPath, [main], {
      cwd: opts.cwd,
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        NODE_ENV: 'production',
        PORT: String(port),
        DATABASE_URL: opts.databaseUrl,
        S3_ENDPOINT: opts.s3Endpoint,
        S3_BUCKET: opts.bucket,
        S3_REGION: 'us-east-1',
        S3_CREATE_BUCKET: 'true',
        AWS_ACCESS_KEY_ID: 'S3RVER',
        AWS_SECRET_ACCESS_KEY: 'S3RVER',
        LOG_LEVEL: 'warn',
        RETRY_SCHEDULER_ENABLED: 'false',
        PROCESSING_CONCURRENCY: String(opts.concurrency),
        DATA_DIR: opts.dataDir,
        // For investigations (a --require'd probe, a V8 flag): never set by the benchmark itself.
        ...(process.env.BENCH_SERVICE_NODE_OPTIONS ? { NODE_OPTIONS: process.env.BENCH_SERVICE_NODE_OPTIONS } : {}),
        ...opts.extraEnv,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    watchdog.add(child.pid, 'SIGKILL');
    child.stdout.pipe(logStream, { end: false });
    child.stderr.pipe(logStream, { end: false });
    const svc = new ServiceProcess(child, `http://127.0.0.1:${port}`, logStream, opts.logFile, watchdog);
    const deadline = Date.now() + bootTimeoutMs;
    let last = '';
    for (;;) {
      if (!svc.running) throw new Error(`the service exited during boot (${svc.exitInfo}):\n${svc.tail()}`);
      try {
        const res = await fetch(`${svc.baseUrl}/health/ready`);
        if (res.status === 200) break;
        last = `ready answered ${res.status}: ${(await res.text()).slice(0, 300)}`;
      } catch (e) {
        last = errText(e);
      }
      if (Date.now() > deadline) {
        await svc.stop();
        throw new Error(`the service was not ready within ${bootTimeoutMs} ms (${last}):\n${svc.tail()}`);
      }
      await sleep(100);
    }
    return svc;
  }

  memory(): MemoryReading | undefined {
    return readMemory(this.pid);
  }

  /** The last lines of the service's log. */
  tail(lines = 40): string {
    try {
      return readFileSync(this.logFile, 'utf8').split('\n').slice(-lines).join('\n');
    } catch {
      return '';
    }
  }

  /** SIGTERM (drains in-flight work), SIGKILL after the grace period. */
  async stop(graceMs = 30_000): Promise<void> {
    if (this.running) {
      const killer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
      this.child.kill('SIGTERM');
      await this.exited;
      clearTimeout(killer);
    }
    this.watchdog.remove(this.child.pid);
    await new Promise<void>((r) => this.logStream.end(() => r()));
  }
}
