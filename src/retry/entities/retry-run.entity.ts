import { BigIntType, Entity, Enum, Index, ManyToOne, OptionalProps, PrimaryKey, Property } from '@mikro-orm/core';
import type { RetryResults, RetryTriggerName, RetryTypeName } from '../../events/catalogue';

const RETRY_TYPES = ['preprocessing', 'document', 'all'] as const satisfies readonly RetryTypeName[];
const RETRY_TRIGGERS = ['manual', 'scheduled'] as const satisfies readonly RetryTriggerName[];
export const RETRY_RUN_STATUSES = ['running', 'finished', 'interrupted'] as const;
export type RetryRunStatusName = (typeof RETRY_RUN_STATUSES)[number];

/**
 * One manual or scheduled retry of a program: the rows behind metadata_json.retry_history.
 * `running` until it ends; runs that predate statuses were recorded `finished`.
 */
@Entity({ tableName: 'retry_runs' })
@Index({ name: 'retry_runs_program_idx', properties: ['programId', 'id'] })
@Index({
  name: 'retry_runs_running_idx',
  expression:
    "CREATE INDEX retry_runs_running_idx ON retry_runs USING btree (program_id) WHERE (status = 'running'::text)",
})
export class RetryRun {
  [OptionalProps]?: 'id' | 'status' | 'createdAt' | 'skipped';

  // bigserial. A string in JS: exact whatever its size, and what pg returns for int8 anyway.
  @PrimaryKey({ type: new BigIntType('string'), autoincrement: true })
  id!: string;

  // Program is named, not imported: retry may not reach into the programs module
  // (.dependency-cruiser.js). The relation holds the program id itself (mapToPk).
  @ManyToOne({
    entity: 'Program',
    mapToPk: true,
    fieldName: 'program_id',
    foreignKeyName: 'retry_runs_program_id_fkey',
    deleteRule: 'cascade',
    updateRule: 'no action',
  })
  programId!: string;

  @Enum({ items: [...RETRY_TYPES], columnType: 'text' })
  retryType!: RetryTypeName;

  @Enum({ items: [...RETRY_TRIGGERS], columnType: 'text' })
  trigger!: RetryTriggerName;

  // jsonb (MikroORM's json type on PostgreSQL), unlike program_states.metadata_json.
  @Property({ type: 'json', columnType: 'jsonb' })
  results!: RetryResults;

  @Property({ type: 'timestamptz', defaultRaw: 'now()' })
  createdAt!: Date;

  @Enum({ items: [...RETRY_RUN_STATUSES], columnType: 'text', default: 'finished' })
  status!: RetryRunStatusName;

  @Property({ type: 'timestamptz', nullable: true })
  finishedAt?: Date | null;

  /** Selected indexes that were not failed files of the chosen stages (SPEC §8.9). */
  @Property({ type: 'integer', default: 0 })
  skipped!: number;
}
