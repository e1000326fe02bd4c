/**
 * MIGRATE_ON_BOOT=false: migrations are a release step. The service then changes nothing in the
 * schema, and refuses to start on a database that lacks one of its migrations — at boot, saying
 * what to run — rather than failing on the first statement that meets a missing table or column.
 */
import request from 'supertest';
import { createApp } from '../../src/app.factory';
import { loadConfig } from '../../src/config/app-config';
import { migrate } from '../../src/database/migrate';
import { MIGRATIONS } from '../../src/database/orm.config';
import { Client } from 'pg';
import { createTestDatabase, startTestApp } from '../support/test-app';

/** The error a boot with MIGRATE_ON_BOOT=false fails with. */
async function bootError(databaseUrl: string): Promise<string> {
  const config = loadConfig({
    DATABASE_URL: databaseUrl,
    MIGRATE_ON_BOOT: 'false',
    S3_ENDPOINT: process.env.TEST_S3_ENDPOINT,
    S3_REGION: process.env.TEST_S3_REGION ?? 'us-east-1',
    S3_BUCKET: 'migrate-never-used',
    RETRY_SCHEDULER_ENABLED: 'false',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'error',
  });
  try {
    const app = await createApp(config);
    await app.close();
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('the app booted');
}

async function query<R extends Record<string, unknown>>(url: string, sql: string): Promise<R[]> {
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query<R>(sql)).rows;
  } finally {
    await c.end();
  }
}

describe('MIGRATE_ON_BOOT=false', () => {
  it('refuses a fresh database, touching nothing; boots once the migrations have run', async () => {
    const db = await createTestDatabase();
    try {
      const refused = await bootError(db.url);
      expect(refused).toMatch(/schema is behind this release: \d+ migration\(s\) not applied/);
      expect(refused).toContain('run the migrations: npm run migration:up / the migration Job');
      expect(refused).toContain(MIGRATIONS[0].name);
      // Not even the migrator's bookkeeping table was created.
      expect(await query(db.url, `SELECT to_regclass('public.mikro_orm_migrations') AS t`)).toEqual([{ t: null }]);

      // The release step.
      await migrate(db.url);
      const applied = await query<{ name: string }>(db.url, 'SELECT name FROM mikro_orm_migrations ORDER BY id');
      expect(applied.map((r) => r.name)).toEqual(MIGRATIONS.map((m) => m.name));

      const t = await startTestApp({ MIGRATE_ON_BOOT: 'false', S3_CREATE_BUCKET: 'true' }, { database: db.url });
      try {
        const res = await request(t.server).get('/v1/programs').query({ user_id: 'migrate-user' });
        expect(res.status).toBe(200);
      } finally {
        await t.close();
      }

      // A database one migration behind (a release step that did not run) is refused as well,
      // and the message names what is missing.
      const last = MIGRATIONS[MIGRATIONS.length - 1].name;
      await query(db.url, `DELETE FROM mikro_orm_migrations WHERE name = '${last}'`);
      const behind = await bootError(db.url);
      expect(behind).toMatch(new RegExp(`1 migration\\(s\\) not applied \\(${last}\\)`));
    } finally {
      await db.drop();
    }
  });

  it('a database some newer release migrated further is accepted: migrations only add', async () => {
    const db = await createTestDatabase();
    try {
      await migrate(db.url);
      await query(db.url, `INSERT INTO mikro_orm_migrations (name) VALUES ('Migration29990101000000_future')`);
      await expect(migrate(db.url, 'check')).resolves.toBeUndefined();
    } finally {
      await db.drop();
    }
  });
});
