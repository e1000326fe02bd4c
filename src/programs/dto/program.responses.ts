import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { PROGRAM_STATUSES, type ProgramMetadata, type ProgramStatus } from '../program.types';

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

export class ProgramDto extends ProgramSummaryDto {
  @ApiProperty({ type: 'object', additionalProperties: true, description: "the seed's metadata_json (SPEC §4)" })
  metadata_json!: ProgramMetadata;
}

export class ProgramPageDto {
  @ApiProperty({ type: [ProgramSummaryDto] }) items!: ProgramSummaryDto[];
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
