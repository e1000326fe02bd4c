import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Allow, IsString, Length, Matches } from 'class-validator';
import { NO_CONTROL_CHARS } from '../../common/dto/user-scoped.query';

export const MAX_FILES_PER_PROGRAM = 100_000;

export class CreateProgramDto {
  @ApiProperty({ minLength: 1, maxLength: 200, example: 'Q3 contracts' })
  @IsString({ message: 'name must be a string', context: { code: 'INVALID_NAME' } })
  @Length(1, 200, { message: 'name must be 1 to 200 characters', context: { code: 'INVALID_NAME' } })
  @Matches(NO_CONTROL_CHARS, { message: 'name must not contain control characters', context: { code: 'INVALID_NAME' } })
  name!: string;

  // Checked by validateFileList (one pass, one specific code) rather than per-element decorators.
  @ApiProperty({
    type: [String],
    minItems: 1,
    maxItems: MAX_FILES_PER_PROGRAM,
    uniqueItems: true,
    example: ['s3://sources/contracts/a.pdf'],
  })
  @Allow()
  files!: unknown;

  // Checked by validateFailureBudget and validateWebhookUrl (dto/create-options.ts).
  @ApiPropertyOptional({
    description:
      'once min_files have settled and the failed share exceeds max_failed_ratio, the rest fail BUDGET_EXCEEDED ' +
      'and the program ends aborted; default FAILURE_BUDGET_RATIO / FAILURE_BUDGET_MIN_FILES',
    type: 'object',
    properties: {
      max_failed_ratio: { type: 'number', minimum: 0, maximum: 1, example: 0.2 },
      min_files: { type: 'integer', minimum: 0, example: 50 },
    },
    required: ['max_failed_ratio'],
  })
  @Allow()
  failure_budget?: unknown;

  @ApiPropertyOptional({
    description:
      'notified (POST, signed) when the program settles and when a retry run ends; host in WEBHOOK_ALLOWED_HOSTS',
    example: 'https://hooks.example.com/ingest',
  })
  @Allow()
  webhook_url?: unknown;
}
