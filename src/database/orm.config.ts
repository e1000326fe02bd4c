import { Logger } from '@nestjs/common';
import { defineConfig } from '@mikro-orm/postgresql';
import { Migrator } from '@mikro-orm/migrations';
import { ApiKey } from '../auth/entities/api-key.entity';
import { Document } from '../documents/entities/document.entity';
import { FileAttempt } from '../programs/entities/file-attempt.entity';
import { ProgramFile } from '../programs/entities/program-file.entity';
import { ProgramState } from '../programs/entities/program-state.entity';
import { Program } from '../programs/entities/program.entity';
import { WebhookDelivery } from '../notifications/entities/webhook-delivery.entity';
import { RetryRun } from '../retry/entities/retry-run.entity';
import { Migration20261126000000_init } from './migrations/Migration20261126000000_init';
import { Migration20261126010000_retry_due_index } from './migrations/Migration20261126010000_retry_due_index';
import { Migration20261201000000_work_model_v2 } from './migrations/Migration20261201000000_work_model_v2';
import { Migration20261201010000_documents_sha256_idx } from './migrations/Migration20261201010000_documents_sha256_idx';
import { Migration20261202000000_failure_policy } from './migrations/Migration20261202000000_failure_policy';
import { Migration20261203000000_api_keys } from './migrations/Migration20261203000000_api_keys';
import { Migration20261203010000_program_counts } from './migrations/Migration20261203010000_program_counts';
import { connectionBudget, TOOL_ORM_POOL } from './connection-budget';
import { databaseConnection } from './connection-options';

const ormLogger = new Logger('MikroORM');

/** Server-side deadlines of every connection the ORM opens (pg passes them as startup parameters). */
export interface SessionDeadlines {
  /** statement_timeout: no statement runs longer. */
  statementTimeoutMs: number;
}

export interface OrmOptions extends SessionDeadlines {
  /**
   * DB_POOL_MAX, the replica's whole connection budget: the ORM pool takes its share of it
   * (connection-budget.ts). Unset: a one-off run's small pool.
   */
  poolMax?: number;
}

/** Every migration, oldest first: what a database must have applied before this release runs on it. */
export const MIGRATIONS = [
  { name: 'Migration20261126000000_init', class: Migration20261126000000_init },
  { name: 'Migration20261126010000_retry_due_index', class: Migration20261126010000_retry_due_index },
  { name: 'Migration20261201000000_work_model_v2', class: Migration20261201000000_work_model_v2 },
  { name: 'Migration20261201010000_documents_sha256_idx', class: Migration20261201010000_documents_sha256_idx },
  { name: 'Migration20261202000000_failure_policy', class: Migration20261202000000_failure_policy },
  { name: 'Migration20261203000000_api_keys', class: Migration20261203000000_api_keys },
  { name: 'Migration20261203010000_program_counts', class: Migration20261203010000_program_counts },
];
export const MIGRATIONS_TABLE = 'mikro_orm_migrations';

/** Entities and migrations are listed, not discovered: the same config works from dist/ and under jest. */
export function ormConfig(databaseUrl: string, opts: OrmOptions) {
  return defineConfig({
    // The ORM takes server, credentials and database from the URL and ignores the rest of it (TLS
    // included); driverOptions.connection below carries all of it, and wins.
    clientUrl: databaseUrl,
    entities: [Program, ProgramState, ProgramFile, FileAttempt, Document, RetryRun, WebhookDelivery, ApiKey],
    extensions: [Migrator],
    migrations: {
      migrationsList: MIGRATIONS,
      transactional: true,
      allOrNothing: true,
      tableName: MIGRATIONS_TABLE,
    },
    pool: { min: 0, max: opts.poolMax === undefined ? TOOL_ORM_POOL : connectionBudget(opts.poolMax).orm },
    driverOptions: {
      connection: {
        ...databaseConnection(databaseUrl).options,
        keepAlive: true,
        application_name: 'batch-ingest',
        statement_timeout: opts.statementTimeoutMs,
        // Transactions here are a few statements long; one left open by a stalled holder must end.
        idle_in_transaction_session_timeout: opts.statementTimeoutMs * 2,
      },
    },
    // Repositories work outside HTTP requests (runner, listeners): they run SQL, not the identity map.
    allowGlobalContext: true,
    debug: false,
    // The migrator reports through the ORM logger; route it to Nest's so LOG_LEVEL applies.
    logger: (message: string) => ormLogger.debug(message),
  });
}
