import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import type { AttemptTrigger } from '../../events/catalogue';
import { ATTEMPT_OUTCOMES, type AttemptOutcome } from '../entities/file-attempt.entity';
import {
  FILE_STATES,
  PROGRAM_STATUSES,
  type FailureStage,
  type FileState,
  type ProgramMetadata,
  type ProgramStatus,
} from '../program.types';

const ATTEMPT_TRIGGERS = ['initial', 'manual', 'scheduled'] as const satisfies readonly AttemptTrigger[];
const FAILURE_STAGES = ['preprocessing', 'document'] as const satisfies readonly FailureStage[];

export class ProgramAcceptedDto {
  @ApiProperty({ example: 'prog_5f0c6a1e2b3d4c5e6f708192' }) program_id!: string;
  @ApiProperty({ enum: PROGRAM_STATUSES }) status!: ProgramStatus;
  @ApiProperty() total_files!: number;
}

export class ProgramSummaryDto extends ProgramAcceptedDto {
  @ApiProperty() user_id!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ format: 'date-time' }) created_at!: string;
  @ApiProperty({ format: 'date-time' }) updated_at!: string;
}

/** Files by outcome, read from the program's summary (as fresh as metadata_json is). */
export class ProgramCountsDto {
  @ApiProperty({ description: 'files with a Document' }) done!: number;
  @ApiProperty({ description: 'failed files, both stages' }) failed!: number;
  @ApiProperty({ description: 'the rest: not yet settled' }) pending!: number;
}

export class ProgramListItemDto extends ProgramSummaryDto {
  @ApiProperty({ type: ProgramCountsDto }) counts!: ProgramCountsDto;
}

export class ProgramDto extends ProgramSummaryDto {
  @ApiProperty({ type: 'object', additionalProperties: true, description: "the seed's metadata_json (SPEC §4)" })
  metadata_json!: ProgramMetadata;
}

export class ProgramPageDto {
  @ApiProperty({ type: [ProgramListItemDto] }) items!: ProgramListItemDto[];
  @ApiPropertyOptional({ type: String, nullable: true }) next_cursor!: string | null;
}

export class FailurePageDto {
  @ApiProperty({
    type: 'array',
    items: { type: 'object', additionalProperties: true },
    description: 'failure records of SPEC §4, each with its "stage"',
  })
  items!: Record<string, unknown>[];
  @ApiPropertyOptional({ type: String, nullable: true }) next_cursor!: string | null;
}

export class FileAttemptDto {
  @ApiProperty({ description: '1 for the first pass, then one more per pass' }) attempt!: number;
  @ApiProperty({ enum: ATTEMPT_TRIGGERS }) trigger!: AttemptTrigger;
  @ApiProperty({
    enum: FAILURE_STAGES,
    description: 'where the pass ended (document once it reached Document storage)',
  })
  stage!: FailureStage;
  @ApiProperty({ enum: ATTEMPT_OUTCOMES }) outcome!: AttemptOutcome;
  @ApiProperty({ type: String, nullable: true }) error_code!: string | null;
  @ApiProperty({ type: String, nullable: true }) error!: string | null;
  @ApiProperty({ format: 'date-time' }) started_at!: string;
  @ApiProperty({ format: 'date-time' }) finished_at!: string;
}

/**
 * One file's story. The failure fields are those of its failure record (SPEC §4), at the top level,
 * and null while the file is not failed; `retry_count` counts the retries made whatever the state.
 */
export class FileStoryDto {
  @ApiProperty() program_id!: string;
  @ApiProperty({ description: 'source index' }) index!: number;
  @ApiProperty() file_path!: string;
  @ApiProperty({ enum: FILE_STATES }) state!: FileState;
  @ApiProperty({ enum: FAILURE_STAGES, nullable: true, description: 'the stage that failed' })
  stage!: FailureStage | null;
  @ApiProperty({ type: String, nullable: true }) error!: string | null;
  @ApiProperty({ type: String, nullable: true }) error_code!: string | null;
  @ApiProperty({ type: Boolean, nullable: true }) retryable!: boolean | null;
  @ApiProperty() retry_count!: number;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) next_retry_at!: string | null;
  @ApiProperty({ type: Boolean, nullable: true, description: 'automatic retries used up' })
  exhausted!: boolean | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: 'when it failed' })
  timestamp!: string | null;
  @ApiProperty({ type: String, nullable: true, description: 's3:// URI of the processed JSON, once written' })
  s3_path!: string | null;
  @ApiProperty({ type: String, nullable: true, description: 'the Document, once done' })
  document_id!: string | null;
  @ApiProperty({ type: [FileAttemptDto], description: 'every pass ever made, oldest first' })
  attempts!: FileAttemptDto[];
}

export class ProgramCancelledDto {
  @ApiProperty() program_id!: string;
  @ApiProperty({ enum: PROGRAM_STATUSES, description: 'cancelled, unless every file had settled already' })
  status!: ProgramStatus;
}

export class FailureCountDto {
  @ApiProperty({ enum: ['preprocessing', 'document'] }) stage!: 'preprocessing' | 'document';
  @ApiProperty({ example: 'SOURCE_NOT_FOUND' }) error_code!: string;
  @ApiProperty() count!: number;
}

export class FailureCountsDto {
  @ApiProperty({ type: [FailureCountDto], description: 'most common first' }) items!: FailureCountDto[];
}
