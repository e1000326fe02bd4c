import {
  BigIntType,
  Entity,
  Enum,
  Index,
  ManyToOne,
  OptionalProps,
  PrimaryKey,
  PrimaryKeyProp,
  Property,
} from '@mikro-orm/core';
import type { RetryTriggerName } from '../../events/catalogue';
import { FILE_STATES, type FileState } from '../program.types';
import { Program } from './program.entity';

const RUN_TRIGGERS = ['manual', 'scheduled'] as const satisfies readonly RetryTriggerName[];
/** Where a queued Document retry starts: the processed JSON as it is, or made again if unusable. */
const RESUME_POINTS = ['document', 'document_or_remake'] as const;
type ResumePoint = (typeof RESUME_POINTS)[number];

/**
 * Per-file outcome: the source of truth that metadata_json summarises. A file being worked on is
 * `processing`, leased to `leaseOwner` until `leaseExpiresAt`; every claim moves `epoch` on.
 *
 * bigint columns (`epoch`, `runId`) are strings in JS: exact whatever their size, and what pg
 * returns for int8 anyway.
 */
@Entity({ tableName: 'program_files' })
@Index({
  name: 'program_files_open_idx',
  expression:
    "CREATE INDEX program_files_open_idx ON program_files USING btree (program_id, state, source_index) WHERE (state <> 'done'::text)",
})
@Index({
  name: 'program_files_retry_due_idx',
  expression:
    "CREATE INDEX program_files_retry_due_idx ON program_files USING btree (next_retry_at) WHERE (retryable AND (NOT exhausted) AND (state = ANY (ARRAY['preprocessing_failed'::text, 'document_failed'::text])))",
})
@Index({
  name: 'program_files_unsettled_idx',
  expression:
    "CREATE INDEX program_files_unsettled_idx ON program_files USING btree (program_id, source_index) WHERE (state = ANY (ARRAY['pending'::text, 'processing'::text]))",
})
@Index({
  name: 'program_files_run_idx',
  expression: 'CREATE INDEX program_files_run_idx ON program_files USING btree (run_id) WHERE (run_id IS NOT NULL)',
})
export class ProgramFile {
  [PrimaryKeyProp]?: ['programId', 'sourceIndex'];
  [OptionalProps]?: 'state' | 'retryCount' | 'exhausted' | 'updatedAt' | 'epoch' | 'attempts';

  @ManyToOne({
    entity: () => Program,
    primary: true,
    mapToPk: true,
    fieldName: 'program_id',
    foreignKeyName: 'program_files_program_id_fkey',
    deleteRule: 'cascade',
    updateRule: 'no action',
  })
  programId!: string;

  @PrimaryKey({ type: 'integer' })
  sourceIndex!: number;

  @Property({ type: 'text' })
  sourceFilePath!: string;

  @Enum({ items: [...FILE_STATES], columnType: 'text', default: 'pending' })
  state!: FileState;

  // The naming strategy would make this processed_s3path: a digit does not start a new word for it.
  @Property({ type: 'text', nullable: true, fieldName: 'processed_s3_path' })
  processedS3Path?: string | null;

  @Property({ type: 'text', nullable: true })
  error?: string | null;

  @Property({ type: 'text', nullable: true })
  errorCode?: string | null;

  @Property({ type: 'boolean', nullable: true })
  retryable?: boolean | null;

  @Property({ type: 'integer', default: 0 })
  retryCount!: number;

  @Property({ type: 'timestamptz', nullable: true })
  failedAt?: Date | null;

  @Property({ type: 'timestamptz', nullable: true })
  nextRetryAt?: Date | null;

  @Property({ type: 'boolean', default: false })
  exhausted!: boolean;

  @Property({ type: 'timestamptz', defaultRaw: 'now()' })
  updatedAt!: Date;

  @Property({ type: 'text', nullable: true })
  leaseOwner?: string | null;

  // Set and compared with the database clock (now()), never the worker's.
  @Property({ type: 'timestamptz', nullable: true })
  leaseExpiresAt?: Date | null;

  @Property({ type: new BigIntType('string'), default: 0 })
  epoch!: string;

  // The retry run that queued the file. A plain column: the migration declares no foreign key to
  // retry_runs (another module's table), so none is mapped.
  @Property({ type: new BigIntType('string'), nullable: true })
  runId?: string | null;

  @Enum({ items: [...RUN_TRIGGERS], columnType: 'text', nullable: true })
  runTrigger?: RetryTriggerName | null;

  @Enum({ items: [...RESUME_POINTS], columnType: 'text', nullable: true })
  resumeFrom?: ResumePoint | null;

  @Property({ type: 'integer', default: 0 })
  attempts!: number;
}
