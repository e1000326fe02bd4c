import { ApiProperty, ApiPropertyOptional, getSchemaPath } from '@nestjs/swagger';
import { RetryResultsDto } from '../../common/dto/retry-results.dto';
import type { AttemptTrigger, RetryTriggerName, RetryTypeName } from '../../events/catalogue';
import { ATTEMPT_OUTCOMES, type AttemptOutcome } from '../entities/file-attempt.entity';
import { FILE_STATES, PROGRAM_STATUSES, type FailureStage, type FileState, type ProgramStatus } from '../program.types';

const ATTEMPT_TRIGGERS = ['initial', 'manual', 'scheduled'] as const satisfies readonly AttemptTrigger[];
const FAILURE_STAGES = ['preprocessing', 'document'] as const satisfies readonly FailureStage[];
const RETRY_TYPES = ['preprocessing', 'document', 'all'] as const satisfies readonly RetryTypeName[];
const RETRY_TRIGGERS = ['manual', 'scheduled'] as const satisfies readonly RetryTriggerName[];

const PROGRAM_ID_EXAMPLE = 'prog_5f0c6a1e2b3d4c5e6f708192';
// Failure classes grow with the extractors (README, "Failure codes"); a closed enum here would make
// every new one a breaking change for generated clients, so the code stays a string.
const ERROR_CODE_DESCRIPTION =
  'the failure class, e.g. SOURCE_NOT_FOUND; `retryable` says whether another try may help';

export class ProgramAcceptedDto {
  @ApiProperty({ example: PROGRAM_ID_EXAMPLE }) program_id!: string;
  @ApiProperty({ enum: PROGRAM_STATUSES }) status!: ProgramStatus;
  @ApiProperty({ type: 'integer', minimum: 1, maximum: 100_000 }) total_files!: number;
}

export class ProgramSummaryDto extends ProgramAcceptedDto {
  @ApiProperty() user_id!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ format: 'date-time' }) created_at!: string;
  @ApiProperty({ format: 'date-time' }) updated_at!: string;
}

/** Files by outcome, read from the program's summary (as fresh as metadata_json is). */
export class ProgramCountsDto {
  @ApiProperty({ type: 'integer', minimum: 0, description: 'files with a Document' }) done!: number;
  @ApiProperty({ type: 'integer', minimum: 0, description: 'failed files, both stages' }) failed!: number;
  @ApiProperty({ type: 'integer', minimum: 0, description: 'the rest: not yet settled' }) pending!: number;
}

export class ProgramListItemDto extends ProgramSummaryDto {
  @ApiProperty({ type: ProgramCountsDto }) counts!: ProgramCountsDto;
}

/** The seed's preprocessing failure record (SPEC §4), plus the retry bookkeeping fields. */
export class PreprocessingFailureRecordDto {
  @ApiProperty({ example: 's3://sources/contracts/a.pdf' }) file_path!: string;
  @ApiProperty({ type: 'integer', minimum: 0, description: 'source index' }) index!: number;
  @ApiProperty({ description: "what went wrong, naming the file's own path" }) error!: string;
  @ApiProperty({ type: 'integer', minimum: 0, description: 'retries made, manual and scheduled' })
  retry_count!: number;
  @ApiProperty({ format: 'date-time', description: 'when it failed' }) timestamp!: string;
  @ApiProperty({ description: ERROR_CODE_DESCRIPTION, example: 'SOURCE_NOT_FOUND' }) error_code!: string;
  @ApiProperty() retryable!: boolean;
  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    description: 'when the scheduler retries it; null when it will not',
  })
  next_retry_at!: string | null;
  @ApiProperty({ description: 'automatic retries used up' }) exhausted!: boolean;
}

/** The seed's Document-storage failure record (SPEC §4), plus the retry bookkeeping fields. */
export class DocumentFailureRecordDto {
  @ApiProperty({ example: 'json_file_7' }) json_key!: string;
  @ApiProperty({ example: `processed_${PROGRAM_ID_EXAMPLE}_7.json` }) filename!: string;
  @ApiProperty({ description: 's3:// URI of the processed JSON' }) s3_path!: string;
  @ApiProperty({ example: 's3://sources/contracts/a.pdf' }) source_file_path!: string;
  @ApiProperty({ type: 'integer', minimum: 0 }) source_index!: number;
  @ApiProperty() error!: string;
  @ApiProperty({ format: 'date-time', description: 'when it failed' }) timestamp!: string;
  @ApiProperty({ type: 'integer', minimum: 0, description: 'retries made, manual and scheduled' })
  retry_count!: number;
  @ApiProperty({ description: ERROR_CODE_DESCRIPTION, example: 'DOCUMENT_STORE_FAILED' }) error_code!: string;
  @ApiProperty() retryable!: boolean;
  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    description: 'when the scheduler retries it; null when it will not',
  })
  next_retry_at!: string | null;
  @ApiProperty({ description: 'automatic retries used up' }) exhausted!: boolean;
}

/** An item of GET …/failures: a record of either stage, told apart by `stage`. */
export class PreprocessingFailureItemDto extends PreprocessingFailureRecordDto {
  @ApiProperty({ enum: ['preprocessing'] }) stage!: 'preprocessing';
}

export class DocumentFailureItemDto extends DocumentFailureRecordDto {
  @ApiProperty({ enum: ['document'] }) stage!: 'document';
}

export class StageSummaryCountsDto {
  @ApiProperty({ type: 'integer', minimum: 0 }) total!: number;
  @ApiProperty({ type: 'integer', minimum: 0 }) success!: number;
  @ApiProperty({ type: 'integer', minimum: 0 }) failed!: number;
}

export class PreprocessingStageDto {
  @ApiProperty({ type: StageSummaryCountsDto }) summary!: StageSummaryCountsDto;
  @ApiProperty({
    type: [PreprocessingFailureRecordDto],
    description: 'at most FAILED_FILES_INLINE_LIMIT; GET …/failures lists them all',
  })
  failed_files!: PreprocessingFailureRecordDto[];
  @ApiPropertyOptional({ description: 'present, true, only when failed_files was cut' })
  failed_files_truncated?: boolean;
}

export class DocumentStorageStageDto {
  @ApiProperty({ type: StageSummaryCountsDto }) summary!: StageSummaryCountsDto;
  @ApiProperty({
    type: [DocumentFailureRecordDto],
    description: 'at most FAILED_FILES_INLINE_LIMIT; GET …/failures lists them all',
  })
  failed_files!: DocumentFailureRecordDto[];
  @ApiPropertyOptional({ description: 'present, true, only when failed_files was cut' })
  failed_files_truncated?: boolean;
}

export class RetryHistoryEntryDto {
  @ApiProperty({ enum: RETRY_TYPES }) retry_type!: RetryTypeName;
  @ApiProperty({ enum: RETRY_TRIGGERS }) trigger!: RetryTriggerName;
  @ApiProperty({ format: 'date-time', description: 'when the run ended' }) timestamp!: string;
  @ApiProperty({ type: RetryResultsDto }) results!: RetryResultsDto;
}

/** The seed's metadata_json (SPEC §4, §8.3). */
export class ProgramMetadataDto {
  @ApiProperty({ type: PreprocessingStageDto }) preprocessing!: PreprocessingStageDto;
  @ApiProperty({ type: DocumentStorageStageDto }) document_storage!: DocumentStorageStageDto;
  @ApiProperty({ type: 'integer', minimum: 0 }) total_expected!: number;
  @ApiProperty({ type: 'integer', minimum: 0 }) total_successful_documents!: number;
  @ApiProperty() has_partial_failure!: boolean;
  @ApiProperty({
    type: [RetryHistoryEntryDto],
    description: 'the newest RETRY_HISTORY_INLINE_LIMIT runs, oldest first',
  })
  retry_history!: RetryHistoryEntryDto[];
  @ApiProperty({ type: 'integer', minimum: 0, description: 'every ended run, inlined or not' })
  retry_history_total!: number;
  @ApiPropertyOptional({ description: 'present, true, only when retry_history leaves runs out' })
  retry_history_truncated?: boolean;
}

export class ProgramDto extends ProgramSummaryDto {
  @ApiProperty({ type: ProgramMetadataDto }) metadata_json!: ProgramMetadataDto;
}

export class ProgramPageDto {
  @ApiProperty({ type: [ProgramListItemDto] }) items!: ProgramListItemDto[];
  @ApiProperty({ type: String, nullable: true, description: 'null on the last page' }) next_cursor!: string | null;
}

export class FailurePageDto {
  @ApiProperty({
    type: 'array',
    items: {
      oneOf: [{ $ref: getSchemaPath(PreprocessingFailureItemDto) }, { $ref: getSchemaPath(DocumentFailureItemDto) }],
    },
    description: 'failure records of SPEC §4, each with its "stage"; by source index',
  })
  // Built from rows by the service; the schema above is the shape they have.
  items!: Record<string, unknown>[];
  @ApiProperty({ type: String, nullable: true, description: 'null on the last page' }) next_cursor!: string | null;
}

export class FileAttemptDto {
  @ApiProperty({ type: 'integer', minimum: 1, description: '1 for the first pass, then one more per pass' })
  attempt!: number;
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
  @ApiProperty({ example: PROGRAM_ID_EXAMPLE }) program_id!: string;
  @ApiProperty({ type: 'integer', minimum: 0, description: 'source index' }) index!: number;
  @ApiProperty() file_path!: string;
  @ApiProperty({ enum: FILE_STATES }) state!: FileState;
  @ApiProperty({ enum: FAILURE_STAGES, nullable: true, description: 'the stage that failed' })
  stage!: FailureStage | null;
  @ApiProperty({ type: String, nullable: true }) error!: string | null;
  @ApiProperty({ type: String, nullable: true, description: ERROR_CODE_DESCRIPTION }) error_code!: string | null;
  @ApiProperty({ type: Boolean, nullable: true }) retryable!: boolean | null;
  @ApiProperty({ type: 'integer', minimum: 0 }) retry_count!: number;
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
  @ApiProperty({ example: PROGRAM_ID_EXAMPLE }) program_id!: string;
  @ApiProperty({ enum: PROGRAM_STATUSES, description: 'cancelled, unless every file had settled already' })
  status!: ProgramStatus;
}

export class FailureCountDto {
  @ApiProperty({ enum: FAILURE_STAGES }) stage!: FailureStage;
  @ApiProperty({ example: 'SOURCE_NOT_FOUND', description: ERROR_CODE_DESCRIPTION }) error_code!: string;
  @ApiProperty({ type: 'integer', minimum: 1 }) count!: number;
}

export class FailureCountsDto {
  @ApiProperty({ type: [FailureCountDto], description: 'most common first' }) items!: FailureCountDto[];
}
