/** Everything a benchmark run starts, in one place, so that every exit path stops all of it. */
import type { S3Client } from '@aws-sdk/client-s3';
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Client, Pool } from 'pg';
import { FLOOR_TABLE_SQL } from './floor';
import { ensureBucket, makeS3Client } from './s3';
import { PostgresServer, S3Server, SERVICE_ROLE, startPostgres, startS3rver, stopStalePostmaster } from './servers';
import { ServiceProcess, ServiceOptions } from './service';
import { CpuMeter } from './cpu';
import { LatencyProxy } from './latency-proxy';
import { SqlStats } from './sql-stats';
import { assertPortFree, errText, log } from './util';
import { Watchdog } from './watchdog';

export const PG_PORT = 54400;
export const S3_PORT = 4600;
export const SOURCE_BUCKET = 'bench-sources';
export const OUTPUT_BUCKET = 'bench-output';
export const FLOOR_BUCKET = 'bench-floor';
const FLOOR_DB = 'bench_floor';

/** Which build of the service a run measured. */
export interface ServiceBuild {
  /** "this checkout", or "--service-dir" (another checkout's build; its path is not recorded). */
  source: 'this checkout' | '--service-dir';
  /** `git rev-parse --short HEAD` of that checkout, with "+changes" when its tree differs from it. */
  commit: string;
  /** Its PDF dependencies (package.json), e.g. "unpdf 1.8.1". */
  pdfStack: string;
}

function describeBuild(dir: string, source: ServiceBuild['source']): ServiceBuild {
  const git = (...args: string[]) => {
    try {
      return execFileSync('git', ['-C', dir, ...args], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      }).trim();
    } catch {
      return undefined;
    }
  };
  const head = git('rev-parse', '--short', 'HEAD');
  const dirty = git('status', '--porcelain', '--untracked-files=no', '--', 'src', 'package.json', 'package-lock.json');
  let pdfStack = '?';
  try {
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {
      dependencies?: Record<string, string>;
    };
    const deps = Object.entries(pkg.dependencies ?? {}).filter(([name]) => /pdf/i.test(name));
    pdfStack = deps.length ? deps.map(([name, v]) => `${name} ${v}`).join(', ') : 'none';
  } catch {
    // no package.json: unknown
  }
  return { source, commit: head ? `${head}${dirty ? '+changes' : ''}` : '?', pdfStack };
}

export class BenchContext {
  readonly dataDir: string;
  readonly resultsDir: string;
  private watchdog?: Watchdog;
  pg?: PostgresServer;
  s3server?: S3Server;
  s3?: S3Client;
  admin?: Client;
  stats?: SqlStats;
  floorPool?: Pool;
  /** The built service that scenarios start (set by start()). */
  build?: ServiceBuild;
  private serviceMain = '';
  private serviceCwd = '';
  private readonly services = new Set<ServiceProcess>();
  private readonly proxies = new Set<LatencyProxy>();
  private cleaning?: Promise<void>;

  constructor(
    readonly root: string,
    readonly concurrency: number,
    private readonly keepData: boolean,
    /** Another checkout whose built service (dist/main.js) is measured instead of this one's. */
    private readonly serviceDir?: string,
  ) {
    this.dataDir = join(root, '.bench-data');
    this.resultsDir = join(root, 'bench', 'results');
  }

  async start(): Promise<void> {
    await stopStalePostmaster(this.dataDir);
    await assertPortFree(PG_PORT, 'embedded PostgreSQL');
    await assertPortFree(S3_PORT, 'S3 server (s3rver)');
    rmSync(this.dataDir, { recursive: true, force: true });
    mkdirSync(this.dataDir, { recursive: true });
    mkdirSync(this.resultsDir, { recursive: true });
    if (this.serviceDir) {
      // Another checkout's build runs where it is, with that checkout's node_modules (a copy under
      // this checkout's .bench-data/ would resolve this one's packages instead).
      const dir = resolve(this.serviceDir);
      this.serviceMain = join(dir, 'dist', 'main.js');
      this.serviceCwd = dir;
      if (!existsSync(this.serviceMain)) {
        throw new Error(`--service-dir: ${this.serviceMain} does not exist: build that checkout first`);
      }
      if (!existsSync(join(dir, 'node_modules'))) {
        throw new Error(`--service-dir: ${dir}/node_modules does not exist: npm ci there first`);
      }
      this.build = describeBuild(dir, '--service-dir');
    } else {
      // The service runs from a snapshot of dist/, so a rebuild of dist/ during the run cannot change it.
      const dist = join(this.root, 'dist');
      if (!existsSync(join(dist, 'main.js')))
        throw new Error(`${dist}/main.js does not exist: run npm run build first`);
      cpSync(dist, join(this.dataDir, 'dist'), { recursive: true });
      // dist/ reads ../package.json (its version, for build_info) relative to itself.
      cpSync(join(this.root, 'package.json'), join(this.dataDir, 'package.json'));
      this.serviceMain = join(this.dataDir, 'dist', 'main.js');
      this.serviceCwd = this.root;
      this.build = describeBuild(this.root, 'this checkout');
    }
    log(`service: ${this.build.source}, ${this.build.commit}, PDF stack ${this.build.pdfStack}`);
    this.watchdog = new Watchdog();

    log(`starting embedded PostgreSQL on 127.0.0.1:${PG_PORT} (data in .bench-data/)`);
    this.pg = await startPostgres(PG_PORT, this.dataDir, this.watchdog);
    log(`  PostgreSQL ${this.pg.version}; pg_stat_statements ${this.pg.statStatements ? 'loaded' : 'NOT available'}`);
    log(`starting s3rver on 127.0.0.1:${S3_PORT}`);
    this.s3server = await startS3rver(S3_PORT, join(this.dataDir, 's3'), this.watchdog);
    this.s3 = makeS3Client(this.s3server.endpoint);
    for (const b of [SOURCE_BUCKET, OUTPUT_BUCKET, FLOOR_BUCKET]) await ensureBucket(this.s3, b);

    this.admin = new Client({ connectionString: this.pg.adminUrl('postgres') });
    this.admin.on('error', () => undefined);
    await this.admin.connect();
    this.stats = new SqlStats(this.admin, this.pg.statStatements);
    await this.admin.query(`CREATE DATABASE ${FLOOR_DB}`);
    this.floorPool = new Pool({ connectionString: this.pg.adminUrl(FLOOR_DB), max: this.concurrency });
    this.floorPool.on('error', () => undefined);
    await this.floorPool.query(FLOOR_TABLE_SQL);
  }

  /** A fresh database for one scenario, owned by the service's role. */
  async createDatabase(name: string): Promise<string> {
    const db = `bench_${name.replace(/[^a-z0-9_]/gi, '_').toLowerCase()}`;
    await this.admin!.query(`DROP DATABASE IF EXISTS ${db}`);
    await this.admin!.query(`CREATE DATABASE ${db} OWNER ${SERVICE_ROLE}`);
    return db;
  }

  /** Runs SQL as the superuser on a scenario's database (not counted as the service's). */
  async asAdmin(database: string, sql: string): Promise<void> {
    const c = new Client({ connectionString: this.pg!.adminUrl(database) });
    c.on('error', () => undefined);
    await c.connect();
    try {
      await c.query(sql);
    } finally {
      await c.end().catch(() => undefined);
    }
  }

  /**
   * Boots the service on `database`. `s3Endpoint`: another way to the same S3 server (the latency
   * proxy); `extraEnv`: more settings.
   */
  async startService(
    database: string,
    scenario: string,
    concurrency: number,
    more: { s3Endpoint?: string; extraEnv?: Record<string, string> } = {},
  ): Promise<ServiceProcess> {
    const opts: ServiceOptions = {
      cwd: this.serviceCwd,
      main: this.serviceMain,
      dataDir: join(this.dataDir, 'service'),
      databaseUrl: this.pg!.serviceUrl(database),
      s3Endpoint: more.s3Endpoint ?? this.s3server!.endpoint,
      bucket: OUTPUT_BUCKET,
      concurrency,
      logFile: join(this.resultsDir, `service-${scenario}.log`),
      extraEnv: more.extraEnv,
    };
    rmSync(opts.logFile, { force: true });
    const svc = await ServiceProcess.start(opts, this.watchdog!);
    this.services.add(svc);
    return svc;
  }

  async stopService(svc: ServiceProcess): Promise<void> {
    const started = Date.now();
    await svc.stop();
    const took = (Date.now() - started) / 1000;
    if (took > 2)
      log(`  the service took ${took.toFixed(1)} s to stop (SIGTERM: in-flight work drains, connections close)`);
    this.services.delete(svc);
  }

  /** A latency proxy in front of s3rver (stopped at cleanup at the latest). */
  async startLatencyProxy(delayMs: number): Promise<LatencyProxy> {
    const target = new URL(this.s3server!.endpoint);
    const proxy = await LatencyProxy.start({ targetHost: target.hostname, targetPort: Number(target.port), delayMs });
    this.proxies.add(proxy);
    return proxy;
  }

  async stopLatencyProxy(proxy: LatencyProxy): Promise<void> {
    await proxy.stop();
    this.proxies.delete(proxy);
  }

  /**
   * CPU time of the service (if any; several replicas are summed), PostgreSQL, s3rver and the
   * benchmark from now on.
   */
  cpu(service?: ServiceProcess | readonly ServiceProcess[]): CpuMeter {
    const pids =
      service === undefined
        ? undefined
        : Array.isArray(service)
          ? service.map((s) => s.pid)
          : [(service as ServiceProcess).pid];
    return new CpuMeter({ service: pids, postgres: this.pg?.pid, s3rver: this.s3server?.pid }).begin();
  }

  /** Stops everything this run started, in order; safe to call more than once. */
  cleanup(): Promise<void> {
    this.cleaning ??= this.doCleanup();
    return this.cleaning;
  }

  private async doCleanup(): Promise<void> {
    const step = async (what: string, fn: () => Promise<unknown>) => {
      try {
        await fn();
      } catch (e) {
        log(`cleanup: ${what} failed: ${errText(e)}`);
      }
    };
    await Promise.all([...this.services].map((svc) => step('stopping the service', () => svc.stop(10_000))));
    this.services.clear();
    for (const proxy of this.proxies) await step('stopping the S3 latency proxy', () => proxy.stop());
    this.proxies.clear();
    if (this.floorPool) await step('closing the floor pool', () => this.floorPool!.end());
    if (this.admin) await step('closing the admin connection', () => this.admin!.end());
    this.s3?.destroy();
    if (this.s3server) await step('stopping s3rver', () => this.s3server!.stop());
    if (this.pg) await step('stopping PostgreSQL', () => this.pg!.stop());
    if (this.watchdog) await step('stopping the watchdog', () => this.watchdog!.stop());
    if (!this.keepData && existsSync(this.dataDir)) {
      await step('removing .bench-data', async () => rmSync(this.dataDir, { recursive: true, force: true }));
    }
  }
}
