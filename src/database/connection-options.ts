import { readFileSync } from 'node:fs';
import { checkServerIdentity, type ConnectionOptions } from 'node:tls';

/**
 * What every connection the service opens is told about its server (the ORM pool, the program
 * lock connections, the migration connections): one mapping of DATABASE_URL and the libpq
 * environment, so none of them can end up less protected than the others.
 *
 * TLS follows libpq (https://www.postgresql.org/docs/current/libpq-ssl.html), with two deviations
 * node-postgres imposes, both failing closed:
 * - `prefer` cannot fall back to plain text: it is `require` (a server without TLS is refused);
 * - `allow` (plain text first, TLS on refusal) is refused at boot for the same reason.
 * With neither `sslmode` nor PGSSLMODE set, connections are not encrypted (libpq would `prefer`).
 */
export type SslMode = 'disable' | 'prefer' | 'require' | 'verify-ca' | 'verify-full' | 'no-verify';

/** The pg connection options shared by pg.Client, pg.Pool and the ORM's driverOptions.connection. */
export interface PgConnectionOptions {
  host?: string;
  port?: number;
  user?: string;
  password?: string;
  database?: string;
  /**
   * Always set: when `ssl` is undefined node-postgres reads PGSSLMODE by itself, with its own
   * meaning (`require` verifies the host name), which would differ from this mapping.
   */
  ssl: false | ConnectionOptions;
}

export interface DatabaseConnection {
  options: PgConnectionOptions;
  /** The effective mode, after URL, environment and defaults. */
  sslMode: SslMode;
  /** host:port/database and the TLS mode, for messages: never the password. */
  description: string;
}

type Env = Record<string, string | undefined>;
type ReadFile = (path: string) => string;

const MODES: readonly SslMode[] = ['disable', 'prefer', 'require', 'verify-ca', 'verify-full', 'no-verify'];
// libpq's sslrootcert=system: the platform's trust store, which node's default CAs stand for here.
const SYSTEM_ROOTS = 'system';

export class DatabaseUrlError extends Error {}

// The chain must lead to the given CA; the name in the certificate is not compared with the host.
const chainOnly: ConnectionOptions = { rejectUnauthorized: true, checkServerIdentity: () => undefined };

/** A value of the URL's query or, failing that, of the environment (libpq's precedence). */
function setting(url: URL, param: string, env: Env, variable: string): string | undefined {
  const fromUrl = url.searchParams.get(param);
  if (fromUrl !== null && fromUrl !== '') return fromUrl;
  const fromEnv = env[variable];
  return fromEnv === undefined || fromEnv === '' ? undefined : fromEnv;
}

function sslModeOf(url: URL, env: Env): SslMode {
  let raw = url.searchParams.get('sslmode') || undefined;
  if (raw === undefined) {
    // node-postgres' own spelling: ssl=true verifies everything, as node-postgres does with it.
    const ssl = url.searchParams.get('ssl');
    if (ssl === 'true' || ssl === '1') raw = 'verify-full';
    else if (ssl === 'false' || ssl === '0') raw = 'disable';
  }
  raw ??= env.PGSSLMODE || 'disable';
  if (raw === 'allow') {
    throw new DatabaseUrlError(
      'sslmode=allow is not supported (the driver cannot fall back between plain text and TLS): use disable or require',
    );
  }
  if (!(MODES as readonly string[]).includes(raw)) {
    throw new DatabaseUrlError(`sslmode must be one of ${MODES.join(', ')}, got "${raw}"`);
  }
  return raw as SslMode;
}

function readPem(readFile: ReadFile, path: string, what: string): string {
  try {
    return readFile(path);
  } catch (e) {
    throw new DatabaseUrlError(`cannot read ${what} ${path}: ${(e as Error).message}`);
  }
}

function tlsOptions(mode: SslMode, host: string, url: URL, env: Env, readFile: ReadFile): false | ConnectionOptions {
  if (mode === 'disable') return false;
  const rootCert = setting(url, 'sslrootcert', env, 'PGSSLROOTCERT');
  const certPath = setting(url, 'sslcert', env, 'PGSSLCERT');
  const keyPath = setting(url, 'sslkey', env, 'PGSSLKEY');
  if ((certPath === undefined) !== (keyPath === undefined)) {
    throw new DatabaseUrlError('sslcert and sslkey (PGSSLCERT, PGSSLKEY) go together: set both or neither');
  }
  const tls: ConnectionOptions = {};
  if (certPath !== undefined && keyPath !== undefined) {
    tls.cert = readPem(readFile, certPath, 'sslcert');
    tls.key = readPem(readFile, keyPath, 'sslkey');
  }
  const systemRoots = rootCert === SYSTEM_ROOTS;
  if (systemRoots && mode !== 'verify-full') {
    // As libpq: any public CA can vouch for a server, so only the host name check makes it safe.
    throw new DatabaseUrlError(`sslrootcert=system needs sslmode=verify-full, got ${mode}`);
  }
  const ca = rootCert !== undefined && !systemRoots ? readPem(readFile, rootCert, 'sslrootcert') : undefined;
  if (ca !== undefined) tls.ca = ca;

  switch (mode) {
    case 'no-verify':
      return { ...tls, rejectUnauthorized: false };
    case 'prefer':
    case 'require':
      // libpq: with a root certificate at hand, require checks the chain (as verify-ca).
      return ca === undefined ? { ...tls, rejectUnauthorized: false } : { ...tls, ...chainOnly };
    case 'verify-ca':
      if (ca === undefined) {
        throw new DatabaseUrlError('sslmode=verify-ca needs sslrootcert (or PGSSLROOTCERT): the CA to check against');
      }
      return { ...tls, ...chainOnly };
    case 'verify-full':
      // No root certificate: node's bundled public CAs (plus NODE_EXTRA_CA_CERTS), as sslrootcert=system.
      // The name is checked against the host connected to, always: for an IP address node-postgres
      // gives TLS no server name, and the certificate would be compared with "localhost" instead.
      return {
        ...tls,
        rejectUnauthorized: true,
        checkServerIdentity: (_name, cert) => checkServerIdentity(host, cert),
      };
  }
}

/**
 * DATABASE_URL plus PGSSLMODE / PGSSLROOTCERT / PGSSLCERT / PGSSLKEY → the options every pg
 * connection is opened with. URL parameters win over the environment. Only the URL's server,
 * credentials, database and TLS parameters are used; pass the result, never the URL, to pg (pg
 * would parse the URL's sslmode again, with its own meaning, over these options).
 */
export function databaseConnection(
  databaseUrl: string,
  env: Env = process.env,
  readFile: ReadFile = (path) => readFileSync(path, 'utf8'),
): DatabaseConnection {
  let url: URL;
  try {
    url = new URL(databaseUrl);
  } catch {
    throw new DatabaseUrlError('DATABASE_URL is not a valid URL');
  }
  const query = (name: string) => url.searchParams.get(name) || undefined;
  // A host in the query (a Unix socket directory, as Cloud SQL's proxy uses) wins, as in libpq.
  const host = query('host') ?? (decodeURIComponent(url.hostname).replace(/^\[(.*)\]$/, '$1') || undefined);
  const sslMode = sslModeOf(url, env);
  // pg's own default host when none is given.
  const options: PgConnectionOptions = { ssl: tlsOptions(sslMode, host ?? 'localhost', url, env, readFile) };
  const port = url.port || query('port');
  const user = url.username ? decodeURIComponent(url.username) : query('user');
  const password = url.password ? decodeURIComponent(url.password) : query('password');
  const database = decodeURIComponent(url.pathname.replace(/^\//, '')) || query('dbname');
  if (host !== undefined) options.host = host;
  if (port !== undefined) options.port = Number(port);
  if (user !== undefined) options.user = user;
  if (password !== undefined) options.password = password;
  if (database !== undefined) options.database = database;
  const where = `${options.host ?? 'localhost'}:${options.port ?? 5432}/${options.database ?? options.user ?? ''}`;
  return { options, sslMode, description: `${where} (sslmode=${sslMode})` };
}
