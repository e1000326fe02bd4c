import { ApiProperty } from '@nestjs/swagger';
import { ERROR_CODES, type ErrorCode } from '../errors/error-codes';

/** The one shape of every error answer (the exception filter's ErrorBody), never a stack trace. */
export class ErrorDto {
  @ApiProperty({ type: 'integer', minimum: 400, maximum: 599, example: 404 })
  statusCode!: number;

  @ApiProperty({ description: "the status code's reason phrase", example: 'Not Found' })
  error!: string;

  @ApiProperty({ description: 'for people; may change between versions', example: 'program not found' })
  message!: string;

  @ApiProperty({
    enum: ERROR_CODES,
    enumName: 'ErrorCode',
    description: 'for programs: stable, the thing to branch on',
    example: 'PROGRAM_NOT_FOUND',
  })
  code!: ErrorCode;
}
