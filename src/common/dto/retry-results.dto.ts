import { ApiProperty } from '@nestjs/swagger';

/**
 * The seed's per-stage retry counts. Shared: a retry answer, a retry run and a program's
 * retry_history entries all carry them, and one schema name must mean one shape.
 */
export class StageCountsDto {
  @ApiProperty({ type: 'integer', minimum: 0 }) retried!: number;
  @ApiProperty({ type: 'integer', minimum: 0 }) success!: number;
  @ApiProperty({ type: 'integer', minimum: 0 }) failed!: number;
}

export class RetryResultsDto {
  @ApiProperty({ type: StageCountsDto }) preprocessing!: StageCountsDto;
  @ApiProperty({ type: StageCountsDto }) document!: StageCountsDto;
}
