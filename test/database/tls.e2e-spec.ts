/**
 * DATABASE_URL's sslmode (and PGSSLMODE) governs every connection the service opens, proved on a
 * PostgreSQL of this test's own that accepts TLS only (`hostssl`): the migrations at boot, the ORM
 * pool and the program lock connections all encrypt, a plain-text mode cannot boot, and the
 * verifying modes check what they promise (the CA, and with verify-full the host name).
 */
import type { Client } from 'pg';
import request from 'supertest';
import { createApp } from '../../src/app.factory';
import { loadConfig } from '../../src/config/app-config';
import { migrate } from '../../src/database/migrate';
import { clearDocumentFaults, documentsAtGate, gateDocuments } from '../factories/db-faults';
import { putObjects, s3Url, textFiles } from '../factories/s3-objects';
import { startTlsPostgres, TlsPostgres, UNCERTIFIED_HOST } from '../support/pg-tls';
import { finishAndCheck, startTestApp, TestApp } from '../support/test-app';
import { until } from '../support/wait';

const USER = 'tls-user';

interface AppConnection {
  pid: number;
  application_name: string;
  state: string | null;
  query: string;
  ssl: boolean | null;
}

const APP_CONNECTIONS = `
  SELECT a.pid, a.application_name, a.state, a.query, s.ssl
  FROM pg_stat_activity a LEFT JOIN pg_stat_ssl s ON s.pid = a.pid
  WHERE a.datname = current_database() AND a.application_name LIKE 'batch-ingest%'`;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Looks at the app's connections every few milliseconds until stopped; every one it saw. */
function watchConnections(db: Client): { stop(): Promise<AppConnection[]> } {
  const seen = new Map<number, AppConnection>();
  let running = true;
  const loop = (async () => {
    while (running) {
      for (const c of (await db.query<AppConnection>(APP_CONNECTIONS)).rows) seen.set(c.pid, c);
      await sleep(25);
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      await db.end();
      return [...seen.values()];
    },
  };
}

describe('TLS on every database connection', () => {
  let tls: TlsPostgres;
  let database: string;

  /** How the test itself connects: the CA and the host name verified, whatever the app is given. */
  const observerUrl = () => tls.url(database, { sslmode: 'verify-full', sslrootcert: tls.caPath });

  const boot = (databaseUrl: string, env: Record<string, string> = {}) =>
    startTestApp({ DATABASE_URL: databaseUrl, S3_CREATE_BUCKET: 'true', ...env }, { database: observerUrl() });

  /** Boots the app on a URL that must not work; the error it fails with. */
  async function bootError(databaseUrl: string): Promise<string> {
    const config = loadConfig({
      DATABASE_URL: databaseUrl,
      S3_ENDPOINT: process.env.TEST_S3_ENDPOINT,
      S3_REGION: process.env.TEST_S3_REGION ?? 'us-east-1',
      S3_BUCKET: 'tls-never-used',
      RETRY_SCHEDULER_ENABLED: 'false',
      LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'error',
    });
    try {
      const app = await createApp(config);
      await app.close();
    } catch (e) {
      return (e as Error).message;
    }
    throw new Error(`the app booted on ${databaseUrl}`);
  }

  beforeAll(async () => {
    tls = await startTlsPostgres();
    database = await tls.createDatabase();
  });

  afterAll(async () => {
    await tls?.stop();
  });

  it('sslmode=require: migrations, the ORM pool and the lock connections all encrypt', async () => {
    const t: TestApp = await boot(tls.url(database, { sslmode: 'require' }));
    const watcher = watchConnections(await tls.connect(database));
    let released = true;
    let seen: AppConnection[] = [];
    try {
      // The app migrated its fresh database at boot, on a server that accepts nothing but TLS.
      const migrations = await t.db.query('SELECT count(*)::int AS n FROM mikro_orm_migrations');
      expect(migrations.rows[0].n).toBeGreaterThan(0);

      const specs = textFiles(6, 'tls');
      const late = [1, 4];
      await putObjects(
        t.s3,
        t.sourceBucket,
        specs.filter((_, i) => !late.includes(i)),
      );
      const files = specs.map((s) => s3Url(t.sourceBucket, s.key));
      const created = await request(t.server)
        .post('/v1/programs')
        .query({ user_id: USER })
        .send({ name: 'tls', files });
      expect(created.status).toBe(202);
      const programId = created.body.program_id as string;
      const first = await finishAndCheck(t, programId, USER, files);
      expect(first.metadata_json.preprocessing.summary).toEqual({ total: 6, success: 4, failed: 2 });

      await putObjects(
        t.s3,
        t.sourceBucket,
        late.map((i) => specs[i]),
      );
      // Documents wait at a gate: the retry keeps its lock connection while the test looks at it.
      const gate = await gateDocuments(t.db);
      released = false;
      const started = await request(t.server)
        .post(`/v1/programs/${programId}/retry`)
        .query({ user_id: USER, retry_type: 'preprocessing', wait: 'false' });
      expect(started.status).toBe(202);
      await until(async () => (await documentsAtGate(t.db)) > 0, 'a Document insert held at the gate');

      const during = (await t.db.query<AppConnection>(APP_CONNECTIONS)).rows;
      // The lock: a session idle in its transaction since it took the row (or since a heartbeat).
      const lock = during.filter(
        (c) => c.state === 'idle in transaction' && /FOR NO KEY UPDATE|^SELECT 1$/.test(c.query.trim()),
      );
      expect(lock).toHaveLength(1);
      expect(during.length).toBeGreaterThan(1);
      expect(during.filter((c) => c.ssl !== true)).toEqual([]);

      await gate.release();
      released = true;
      const retryId = started.body.retry_id as string;
      for (;;) {
        const run = await request(t.server)
          .get(`/v1/programs/${programId}/retries/${retryId}`)
          .query({ user_id: USER });
        expect(run.status).toBe(200);
        if (run.body.status !== 'running') {
          expect(run.body.status).toBe('finished');
          break;
        }
        await sleep(50);
      }
      await clearDocumentFaults(t.db);
      const after = await finishAndCheck(t, programId, USER, files);
      expect(after.metadata_json.preprocessing.summary).toEqual({ total: 6, success: 6, failed: 0 });
    } finally {
      if (!released) await t.db.query('SELECT pg_advisory_unlock_all()');
      await clearDocumentFaults(t.db);
      seen = await watcher.stop();
      await t.close();
    }
    // Every connection seen from boot to close, not only those open at one moment.
    expect(seen.length).toBeGreaterThan(1);
    expect(seen.filter((c) => c.ssl !== true)).toEqual([]);
  });

  it('sslmode=disable (or no sslmode at all) cannot boot against a TLS-only server, and says why', async () => {
    const disabled = await bootError(tls.url(database, { sslmode: 'disable' }));
    expect(disabled).toMatch(/cannot connect to PostgreSQL at 127\.0\.0\.1:\d+\/tls_\w+ \(sslmode=disable\)/);
    expect(disabled).toMatch(/no pg_hba\.conf entry .*no encryption/);
    expect(disabled).not.toContain(':postgres@');
    expect(await bootError(tls.url(database))).toMatch(/\(sslmode=disable\).*no encryption/);
  });

  it('verify-full with the CA that signed the server works; with another CA the boot fails', async () => {
    const t = await boot(tls.url(database, { sslmode: 'verify-full', sslrootcert: tls.caPath }));
    try {
      expect((await request(t.server).get('/v1/programs').query({ user_id: USER })).status).toBe(200);
      const connections = (await t.db.query<AppConnection>(APP_CONNECTIONS)).rows;
      expect(connections.length).toBeGreaterThan(0);
      expect(connections.filter((c) => c.ssl !== true)).toEqual([]);
    } finally {
      await t.close();
    }
    const wrongCa = await bootError(tls.url(database, { sslmode: 'verify-full', sslrootcert: tls.wrongCaPath }));
    expect(wrongCa).toMatch(/\(sslmode=verify-full\): .*certificate/i);
    // verify-ca checks the chain too.
    expect(await bootError(tls.url(database, { sslmode: 'verify-ca', sslrootcert: tls.wrongCaPath }))).toMatch(
      /certificate/i,
    );
  });

  it('verify-full checks the host name; verify-ca and require do not', async () => {
    const elsewhere = (params: Record<string, string>) => tls.url(database, params, UNCERTIFIED_HOST);
    expect(await bootError(elsewhere({ sslmode: 'verify-full', sslrootcert: tls.caPath }))).toMatch(
      new RegExp(`${UNCERTIFIED_HOST.replace(/\./g, '\\.')}.*(?:not in the cert|altnames)`, 'i'),
    );
    await expect(
      migrate(elsewhere({ sslmode: 'verify-ca', sslrootcert: tls.caPath }), 'check'),
    ).resolves.toBeUndefined();
    await expect(migrate(elsewhere({ sslmode: 'require' }), 'check')).resolves.toBeUndefined();
  });

  it('PGSSLMODE and PGSSLROOTCERT apply to every connection when the URL names no mode', async () => {
    const saved = { mode: process.env.PGSSLMODE, root: process.env.PGSSLROOTCERT };
    process.env.PGSSLMODE = 'verify-full';
    process.env.PGSSLROOTCERT = tls.caPath;
    try {
      const t = await boot(tls.url(database));
      try {
        expect((await request(t.server).get('/v1/programs').query({ user_id: USER })).status).toBe(200);
        const connections = (await t.db.query<AppConnection>(APP_CONNECTIONS)).rows;
        expect(connections.filter((c) => c.ssl !== true)).toEqual([]);
      } finally {
        await t.close();
      }
      process.env.PGSSLROOTCERT = tls.wrongCaPath;
      expect(await bootError(tls.url(database))).toMatch(/\(sslmode=verify-full\): .*certificate/i);
    } finally {
      for (const [name, value] of [
        ['PGSSLMODE', saved.mode],
        ['PGSSLROOTCERT', saved.root],
      ] as const) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    }
  });
});
