import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional } from 'class-validator';
import { UserScopedQuery } from '../../common/dto/user-scoped.query';
import type { RetryTypeName } from '../../events/catalogue';

export const RETRY_TYPES = ['preprocessing', 'document', 'all'] as const;

export class RetryQuery extends UserScopedQuery {
  @ApiPropertyOptional({ enum: RETRY_TYPES, default: 'all' })
  @IsOptional()
  @IsIn(RETRY_TYPES, {
    message: 'retry_type must be preprocessing, document or all',
    context: { code: 'INVALID_RETRY_TYPE' },
  })
  retry_type?: RetryTypeName;
}

class StageCountsDto {
  @ApiProperty() retried!: number;
  @ApiProperty() success!: number;
  @ApiProperty() failed!: number;
}

class RetryResultsDto {
  @ApiProperty({ type: StageCountsDto }) preprocessing!: StageCountsDto;
  @ApiProperty({ type: StageCountsDto }) document!: StageCountsDto;
}

/** The seed's retry response. */
export class RetryResponseDto {
  @ApiProperty() program_id!: string;
  @ApiProperty({ enum: RETRY_TYPES }) retry_type!: RetryTypeName;
  @ApiProperty({ type: RetryResultsDto }) results!: RetryResultsDto;
  @ApiProperty({ example: '재시도 완료' }) message!: string;
}
