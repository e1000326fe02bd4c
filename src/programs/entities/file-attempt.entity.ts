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
import type { AttemptTrigger, Stage } from '../../events/catalogue';
import { ProgramFile } from './program-file.entity';

const ATTEMPT_TRIGGERS = ['initial', 'manual', 'scheduled'] as const satisfies readonly AttemptTrigger[];
const STAGES = ['preprocessing', 'document'] as const satisfies readonly Stage[];
export const ATTEMPT_OUTCOMES = ['succeeded', 'failed'] as const;
export type AttemptOutcome = (typeof ATTEMPT_OUTCOMES)[number];

/**
 * One pass of a file through the pipeline in one run, never rewritten: a retry keeps every earlier
 * diagnosis. `entryStage` is where the pass began its work, `stage` where it ended.
 */
@Entity({ tableName: 'file_attempts' })
@Index({
  name: 'file_attempts_run_idx',
  expression: 'CREATE INDEX file_attempts_run_idx ON file_attempts USING btree (run_id) WHERE (run_id IS NOT NULL)',
})
export class FileAttempt {
  [PrimaryKeyProp]?: ['file', 'attempt'];
  [OptionalProps]?: 'finishedAt';

  // (program_id, source_index) is both the leading part of the key and the composite foreign key
  // to the file, so the attempts go when the file does.
  @ManyToOne({
    entity: () => ProgramFile,
    primary: true,
    joinColumns: ['program_id', 'source_index'],
    foreignKeyName: 'file_attempts_program_id_source_index_fkey',
    deleteRule: 'cascade',
    updateRule: 'no action',
  })
  file!: ProgramFile;

  @PrimaryKey({ type: 'integer' })
  attempt!: number;

  // The retry run of the pass (null for the initial one); a string, as every bigint here.
  @Property({ type: new BigIntType('string'), nullable: true })
  runId?: string | null;

  @Enum({ items: [...ATTEMPT_TRIGGERS], columnType: 'text' })
  trigger!: AttemptTrigger;

  @Enum({ items: [...STAGES], columnType: 'text' })
  entryStage!: Stage;

  @Enum({ items: [...STAGES], columnType: 'text' })
  stage!: Stage;

  @Enum({ items: [...ATTEMPT_OUTCOMES], columnType: 'text' })
  outcome!: AttemptOutcome;

  @Property({ type: 'text', nullable: true })
  errorCode?: string | null;

  @Property({ type: 'text', nullable: true })
  error?: string | null;

  @Property({ type: 'timestamptz' })
  startedAt!: Date;

  @Property({ type: 'timestamptz', defaultRaw: 'now()' })
  finishedAt!: Date;
}
