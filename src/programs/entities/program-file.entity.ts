import { Entity, PrimaryKey, Property } from '@mikro-orm/core';
import type { FileState } from '../program.types';

/** Per-file outcome: the source of truth that metadata_json summarises. */
@Entity({ tableName: 'program_files' })
export class ProgramFile {
  @PrimaryKey({ type: 'text' })
  programId!: string;

  @PrimaryKey({ type: 'integer' })
  sourceIndex!: number;

  @Property({ type: 'text' })
  sourceFilePath!: string;

  @Property({ type: 'text' })
  state!: FileState;

  @Property({ type: 'text', nullable: true })
  processedS3Path?: string | null;

  @Property({ type: 'text', nullable: true })
  error?: string | null;

  @Property({ type: 'text', nullable: true })
  errorCode?: string | null;

  @Property({ type: 'boolean', nullable: true })
  retryable?: boolean | null;

  @Property({ type: 'integer' })
  retryCount!: number;

  @Property({ type: 'timestamptz', nullable: true })
  failedAt?: Date | null;

  @Property({ type: 'timestamptz', nullable: true })
  nextRetryAt?: Date | null;

  @Property({ type: 'boolean' })
  exhausted!: boolean;

  @Property({ type: 'timestamptz' })
  updatedAt!: Date;
}
