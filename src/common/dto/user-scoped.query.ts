import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Length, Matches, Max, MaxLength, Min } from 'class-validator';

/** C0 and C1 control characters (NUL included): PostgreSQL text refuses NUL, logs mangle the rest. */
// eslint-disable-next-line no-control-regex
export const NO_CONTROL_CHARS = /^[^\u0000-\u001f\u007f-\u009f]*$/;

export const USER_ID_MAX = 128;

/** Why a user id is refused, or undefined when it is a usable one: 1 to 128 characters, no control characters. */
export function userIdProblem(value: unknown): string | undefined {
  if (typeof value !== 'string') return 'user_id is required';
  if (value.length < 1 || value.length > USER_ID_MAX) return 'user_id must be 1 to 128 characters';
  if (!NO_CONTROL_CHARS.test(value)) return 'user_id must not contain control characters';
  return undefined;
}

/**
 * The seed's `user_id`. With AUTH_MODE=none it is the identity and every /v1 call needs it (the
 * identity guard says so before validation runs); with a real identity it is optional and, when
 * given, a check: it must name the authenticated user (403 USER_MISMATCH).
 */
export class UserScopedQuery {
  @ApiPropertyOptional({
    minLength: 1,
    maxLength: USER_ID_MAX,
    example: 'user_1',
    description:
      'AUTH_MODE=none: required, it is the identity. Otherwise optional; when given it must name the ' +
      'authenticated user (403 USER_MISMATCH)',
  })
  @IsOptional()
  @IsString({ message: 'user_id is required', context: { code: 'INVALID_USER_ID' } })
  @Length(1, USER_ID_MAX, { message: 'user_id must be 1 to 128 characters', context: { code: 'INVALID_USER_ID' } })
  @Matches(NO_CONTROL_CHARS, {
    message: 'user_id must not contain control characters',
    context: { code: 'INVALID_USER_ID' },
  })
  user_id?: string;
}

export class PagedQuery extends UserScopedQuery {
  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 1000, default: 100 })
  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: 'limit must be a whole number', context: { code: 'INVALID_LIMIT' } })
  @Min(1, { message: 'limit must be between 1 and 1000', context: { code: 'INVALID_LIMIT' } })
  @Max(1000, { message: 'limit must be between 1 and 1000', context: { code: 'INVALID_LIMIT' } })
  limit?: number;

  @ApiPropertyOptional({ description: 'opaque cursor from the previous page', maxLength: 512 })
  @IsOptional()
  @IsString({ message: 'cursor must be a string', context: { code: 'INVALID_CURSOR' } })
  @MaxLength(512, { message: 'cursor is not valid', context: { code: 'INVALID_CURSOR' } })
  cursor?: string;
}

export const DEFAULT_PAGE_LIMIT = 100;
