import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsOptional, IsString, Length, Matches } from 'class-validator';
import { NO_CONTROL_CHARS, USER_ID_MAX } from '../../common/dto/user-scoped.query';

export class CreateApiKeyDto {
  @ApiProperty({ minLength: 1, maxLength: USER_ID_MAX, example: 'alice', description: 'whose key it is' })
  @IsString({ message: 'user_id is required', context: { code: 'INVALID_USER_ID' } })
  @Length(1, USER_ID_MAX, { message: 'user_id must be 1 to 128 characters', context: { code: 'INVALID_USER_ID' } })
  @Matches(NO_CONTROL_CHARS, {
    message: 'user_id must not contain control characters',
    context: { code: 'INVALID_USER_ID' },
  })
  user_id!: string;

  @ApiPropertyOptional({ default: false, description: "an admin's key reads and acts on every user's programs" })
  @IsOptional()
  @IsBoolean({ message: 'admin must be true or false', context: { code: 'INVALID_ADMIN' } })
  admin?: boolean;
}

/** A key as listed: everything but the key itself, which is never stored. */
export class ApiKeyDto {
  @ApiProperty({ pattern: '^[0-9a-f]{16}$', example: '3f9a0c1b2d4e5f60' }) key_id!: string;
  @ApiProperty() user_id!: string;
  @ApiProperty() admin!: boolean;
  @ApiProperty({ type: String, nullable: true, description: 'the admin who made it over the API; null from the CLI' })
  created_by!: string | null;
  @ApiProperty({ format: 'date-time' }) created_at!: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: 'null while the key works' })
  revoked_at!: string | null;
}

export class ApiKeyPageDto {
  @ApiProperty({ type: [ApiKeyDto] }) items!: ApiKeyDto[];
  @ApiProperty({ type: String, nullable: true, description: 'null on the last page' }) next_cursor!: string | null;
}

/** The one answer that carries the key: it is shown once and cannot be read again. */
export class CreatedApiKeyDto {
  @ApiProperty({ pattern: '^[0-9a-f]{16}$', example: '3f9a0c1b2d4e5f60' }) key_id!: string;
  @ApiProperty() user_id!: string;
  @ApiProperty() admin!: boolean;
  @ApiProperty({
    pattern: '^bik_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$',
    description: 'send as Authorization: Bearer <key>; shown only in this answer',
  })
  key!: string;
}
