import { MikroORM } from '@mikro-orm/postgresql';
import { Logger } from '@nestjs/common';
import { Client } from 'pg';
import { databaseConnection } from './connection-options';
import { MIGRATIONS, MIGRATIONS_TABLE, ormConfig } from './orm.config';

// Any fixed number shared by every replica: whoever holds it migrates, the others wait and find nothing to do.
const MIGRATION_LOCK_KEY = 727_001;
const logger = new Logger('Migrations');
// A migration may build an index over a large table: far longer than any request's statement, but
// still bounded, so a replica stuck behind a lock fails its boot instead of hanging for ever.
const MIGRATION_STATEMENT_TIMEOUT_MS = 30 * 60_000;
const CHECK_STATEMENT_TIMEOUT_MS = 30_000;
const CONNECT_TIMEOUT_MS = 30_000;

/** `apply` migrates; `check` only refuses a database that lacks a migration of this release. */
export type MigrateMode = 'apply' | 'check';

export class MigrationsPendingError extends Error {
  constructor(readonly pending: string[]) {
    super(
      `the database schema is behind this release: ${pending.length} migration(s) not applied ` +
        `(${pending.join(', ')}). MIGRATE_ON_BOOT is false, so run the migrations: ` +
        `npm run migration:up / the migration Job (node dist/database/migrate.js with DATABASE_URL set), ` +
        `then start the service again`,
    );
  }
}

/**
 * Runs pending migrations once even when several replicas boot at the same moment; with `check`
 * (MIGRATE_ON_BOOT=false) it changes nothing and throws MigrationsPendingError when the database
 * lacks one of this release's migrations.
 */
export async function migrate(databaseUrl: string, mode: MigrateMode = 'apply'): Promise<void> {
  if (mode === 'check') return checkMigrated(databaseUrl);
  const lockClient = await connect(databaseUrl, 'batch-ingest-migrate', MIGRATION_STATEMENT_TIMEOUT_MS);
  try {
    await lockClient.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    const orm = await MikroORM.init(ormConfig(databaseUrl, { statementTimeoutMs: MIGRATION_STATEMENT_TIMEOUT_MS }));
    try {
      const done = await orm.getMigrator().up();
      if (done.length > 0) logger.log(`applied ${done.map((m) => m.name).join(', ')}`);
    } finally {
      await orm.close(true);
    }
  } finally {
    await lockClient.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => undefined);
    await lockClient.end();
  }
}

/**
 * Read-only on purpose: the migrator's own "pending" listing creates its table (and the database),
 * which the service's database user may rightly not be allowed to do. A database with migrations
 * this release does not know (a newer release migrated it) is accepted: migrations only add.
 */
async function checkMigrated(databaseUrl: string): Promise<void> {
  const client = await connect(databaseUrl, 'batch-ingest-migrate', CHECK_STATEMENT_TIMEOUT_MS);
  try {
    // Where the migrator keeps it: PostgreSQL's default schema, whatever the search_path.
    const table = `public.${MIGRATIONS_TABLE}`;
    const found = await client.query<{ exists: boolean }>('SELECT to_regclass($1) IS NOT NULL AS exists', [table]);
    const applied = new Set<string>();
    if (found.rows[0].exists) {
      const rows = await client.query<{ name: string }>(`SELECT name FROM ${table}`);
      for (const r of rows.rows) applied.add(r.name);
    }
    const pending = MIGRATIONS.map((m) => m.name).filter((name) => !applied.has(name));
    if (pending.length > 0) throw new MigrationsPendingError(pending);
  } finally {
    await client.end();
  }
}

/** A connection with the service's TLS settings; a refusal names the server and mode, not the password. */
async function connect(databaseUrl: string, applicationName: string, statementTimeoutMs: number): Promise<Client> {
  const { options, description } = databaseConnection(databaseUrl);
  const client = new Client({
    ...options,
    application_name: applicationName,
    statement_timeout: statementTimeoutMs,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
  });
  try {
    await client.connect();
  } catch (e) {
    await client.end().catch(() => undefined);
    throw new Error(`cannot connect to PostgreSQL at ${description}: ${(e as Error).message}`, { cause: e });
  }
  return client;
}

// `npm run migration:up`: production runs migrations as a release step, with DATABASE_URL set.
if (require.main === module) {
  const url = process.env.DATABASE_URL;
  if (!url) {
    console.error('DATABASE_URL must be set');
    process.exit(1);
  }
  migrate(url).then(
    () => process.exit(0),
    (e: unknown) => {
      console.error(`migration failed: ${(e as Error).message}`);
      process.exit(1);
    },
  );
}
