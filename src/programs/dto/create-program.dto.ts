import { ApiProperty } from '@nestjs/swagger';
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
}
