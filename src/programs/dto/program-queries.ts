import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, Matches } from 'class-validator';
import { PagedQuery, UserScopedQuery } from '../../common/dto/user-scoped.query';
import { PROGRAM_STATUSES, type FailureStage, type ProgramStatus } from '../program.types';

// Codes are upper-case words: anything else cannot match a failure, and is a mistake worth saying.
const ERROR_CODE_RE = /^[A-Z][A-Z0-9_]{0,63}$/;

const FAILURE_STAGES = ['preprocessing', 'document'] as const satisfies readonly FailureStage[];

export class FailuresQuery extends PagedQuery {
  @ApiPropertyOptional({ enum: FAILURE_STAGES })
  @IsOptional()
  @IsIn(FAILURE_STAGES, {
    message: 'stage must be preprocessing or document',
    context: { code: 'INVALID_STAGE' },
  })
  stage?: FailureStage;

  @ApiPropertyOptional({ description: 'only failures with this error code', example: 'SOURCE_NOT_FOUND' })
  @IsOptional()
  @Matches(ERROR_CODE_RE, {
    message: 'error_code must be a code like SOURCE_NOT_FOUND',
    context: { code: 'INVALID_ERROR_CODE' },
  })
  error_code?: string;
}

export class ListProgramsQuery extends PagedQuery {
  @ApiPropertyOptional({ enum: PROGRAM_STATUSES, description: 'only programs in this status' })
  @IsOptional()
  @IsIn(PROGRAM_STATUSES, {
    message: `status must be one of ${PROGRAM_STATUSES.join(', ')}`,
    context: { code: 'INVALID_STATUS' },
  })
  status?: ProgramStatus;

  @ApiPropertyOptional({
    enum: ['true', 'false'],
    default: 'false',
    description: "true: every user's programs (admins only; others 403 ADMIN_REQUIRED)",
  })
  @IsOptional()
  @IsIn(['true', 'false'], { message: 'all_users must be true or false', context: { code: 'INVALID_ALL_USERS' } })
  all_users?: 'true' | 'false';
}

export const EXPORT_FORMATS = ['csv', 'jsonl'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export class ExportFailuresQuery extends UserScopedQuery {
  @ApiPropertyOptional({ enum: EXPORT_FORMATS, default: 'csv' })
  @IsOptional()
  @IsIn(EXPORT_FORMATS, { message: 'format must be csv or jsonl', context: { code: 'INVALID_FORMAT' } })
  format?: ExportFormat;

  @ApiPropertyOptional({ enum: FAILURE_STAGES, description: 'one stage only; both when absent' })
  @IsOptional()
  @IsIn(FAILURE_STAGES, {
    message: 'stage must be preprocessing or document',
    context: { code: 'INVALID_STAGE' },
  })
  stage?: FailureStage;
}

/**
 * Path parameters of one file. The index stays a string until it is known to be digits only: a
 * numeric conversion would let "1e3", " 7" or "0x10" through as numbers.
 */
export class FileParams {
  @ApiProperty({ example: 'prog_5f0c6a1e2b3d4c5e6f708192' })
  @IsString()
  programId!: string;

  @ApiProperty({ type: String, pattern: '^[0-9]+$', description: 'source index of the file (0-based)', example: '0' })
  @IsString({ message: 'index must be a whole number of 0 or more', context: { code: 'INVALID_INDEX' } })
  @Matches(/^[0-9]+$/, { message: 'index must be a whole number of 0 or more', context: { code: 'INVALID_INDEX' } })
  index!: string;
}
