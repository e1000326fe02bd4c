import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Allow, IsIn, IsOptional } from 'class-validator';
import { RetryResultsDto } from '../../common/dto/retry-results.dto';
import { PagedQuery, UserScopedQuery } from '../../common/dto/user-scoped.query';
import type { RetryTriggerName, RetryTypeName } from '../../events/catalogue';

export const RETRY_TYPES = ['preprocessing', 'document', 'all'] as const;

export class RetryQuery extends UserScopedQuery {
  @ApiPropertyOptional({ enum: RETRY_TYPES, default: 'all' })
  @IsOptional()
  @IsIn(RETRY_TYPES, {
    message: 'retry_type must be preprocessing, document or all',
    context: { code: 'INVALID_RETRY_TYPE' },
  })
  retry_type?: RetryTypeName;

  @ApiPropertyOptional({
    enum: ['true', 'false'],
    default: 'true',
    description: 'false: answer 202 with the run id once its files are queued, and follow GET …/retries/{retry_id}',
  })
  @IsOptional()
  @IsIn(['true', 'false'], { message: 'wait must be true or false', context: { code: 'INVALID_WAIT' } })
  wait?: 'true' | 'false';
}

/** Checked by validateRetrySelection (one pass, one code) rather than per-field decorators. */
export class RetryBodyDto {
  @ApiPropertyOptional({
    type: 'integer',
    isArray: true,
    minimum: 0,
    maximum: 99_999,
    minItems: 1,
    maxItems: 100_000,
    description: 'only these source indexes (failed files of the chosen stages; others are counted in skipped)',
    example: [0, 7],
  })
  @Allow()
  indexes?: unknown;

  @ApiPropertyOptional({
    type: String,
    isArray: true,
    pattern: '^[A-Z][A-Z0-9_]{0,63}$',
    minItems: 1,
    maxItems: 100,
    description: 'only failures with these error codes (not together with indexes)',
    example: ['TIMEOUT'],
  })
  @Allow()
  error_codes?: unknown;
}

export class RetryRunsQuery extends PagedQuery {}

/** The seed's retry response, with the run's id and what a selection skipped. */
export class RetryResponseDto {
  @ApiProperty() program_id!: string;
  @ApiProperty({ example: '42' }) retry_id!: string;
  @ApiProperty({ enum: RETRY_TYPES }) retry_type!: RetryTypeName;
  @ApiProperty({ type: RetryResultsDto }) results!: RetryResultsDto;
  @ApiProperty({
    type: 'integer',
    minimum: 0,
    description: 'selected indexes that were not failed files of the chosen stages',
  })
  skipped!: number;
  @ApiProperty({ example: '재시도 완료' }) message!: string;
}

/** `wait=false`: the run has begun. */
export class RetryAcceptedDto {
  @ApiProperty() program_id!: string;
  @ApiProperty({ example: '42' }) retry_id!: string;
  @ApiProperty({ enum: ['running'] }) status!: 'running';
  @ApiProperty({ type: 'integer', minimum: 0 }) skipped!: number;
}

export const RETRY_RUN_STATUSES = ['running', 'finished', 'interrupted'] as const;

/** One retry run (manual or scheduled). */
export class RetryRunDto {
  @ApiProperty({ example: '42' }) retry_id!: string;
  @ApiProperty() program_id!: string;
  @ApiProperty({ enum: RETRY_TYPES }) retry_type!: RetryTypeName;
  @ApiProperty({ enum: ['manual', 'scheduled'] }) trigger!: RetryTriggerName;
  @ApiProperty({ enum: RETRY_RUN_STATUSES }) status!: (typeof RETRY_RUN_STATUSES)[number];
  @ApiProperty({ format: 'date-time' }) started_at!: string;
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) finished_at!: string | null;
  @ApiProperty({ type: RetryResultsDto, description: 'while running: what its files have recorded so far' })
  results!: RetryResultsDto;
  @ApiProperty({ type: 'integer', minimum: 0 }) skipped!: number;
}

export class RetryRunPageDto {
  @ApiProperty({ type: [RetryRunDto] }) items!: RetryRunDto[];
  @ApiProperty({ type: String, nullable: true, description: 'null on the last page' }) next_cursor!: string | null;
}
