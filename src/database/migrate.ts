import { MikroORM } from '@mikro-orm/postgresql';
import { Logger } from '@nestjs/common';
import { Client } from 'pg';
import { ormConfig } from './orm.config';

// Any fixed number shared by every replica: whoever holds it migrates, the others wait and find nothing to do.
const MIGRATION_LOCK_KEY = 727_001;
const logger = new Logger('Migrations');
// A migration may build an index over a large table: far longer than any request's statement, but
// still bounded, so a replica stuck behind a lock fails its boot instead of hanging for ever.
const MIGRATION_STATEMENT_TIMEOUT_MS = 30 * 60_000;

/** Runs pending migrations once even when several replicas boot at the same moment. */
export async function migrate(databaseUrl: string): Promise<void> {
  const lockClient = new Client({
    connectionString: databaseUrl,
    application_name: 'batch-ingest-migrate',
    statement_timeout: MIGRATION_STATEMENT_TIMEOUT_MS,
  });
  await lockClient.connect();
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
