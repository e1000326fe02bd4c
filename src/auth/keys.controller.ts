import { Body, Controller, Delete, Get, Header, HttpCode, Param, Post, Query } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { Caller } from '../common/auth/caller.decorator';
import type { Identity } from '../common/auth/identity';
import { ApiErrorResponses, AUTH_CODES, BODY_CODES, INTERNAL_CODES, USER_ID_CODES } from '../common/dto/api-responses';
import { DEFAULT_PAGE_LIMIT, PagedQuery, UserScopedQuery } from '../common/dto/user-scoped.query';
import { ApiKeysService } from './api-keys.service';
import { ApiKeyPageDto, CreatedApiKeyDto, CreateApiKeyDto } from './dto/api-key.dto';

const ADMIN_ONLY = {
  codes: ['USER_MISMATCH', 'ADMIN_REQUIRED'],
  note: 'the caller is not an admin (nobody is, with AUTH_MODE=none), or user_id names someone else',
} as const;

@ApiTags('admin')
@ApiBearerAuth('api-key')
@Controller('v1/admin/keys')
export class KeysController {
  constructor(private readonly keys: ApiKeysService) {}

  @Post()
  @HttpCode(201)
  // The answer holds a secret: no cache along the way may keep it.
  @Header('Cache-Control', 'no-store')
  @ApiOperation({ operationId: 'createApiKey', summary: 'make an API key for a user; the key is shown only here' })
  @ApiCreatedResponse({ type: CreatedApiKeyDto })
  @ApiErrorResponses({
    400: [...USER_ID_CODES, 'INVALID_ADMIN', ...BODY_CODES],
    401: AUTH_CODES,
    403: ADMIN_ONLY,
    500: INTERNAL_CODES,
  })
  create(
    @Query() _q: UserScopedQuery,
    @Caller() caller: Identity,
    @Body() body: CreateApiKeyDto,
  ): Promise<CreatedApiKeyDto> {
    return this.keys.create(caller, body.user_id, body.admin ?? false);
  }

  @Get()
  @ApiOperation({ operationId: 'listApiKeys', summary: 'every API key, newest first (never the key itself)' })
  @ApiOkResponse({ type: ApiKeyPageDto })
  @ApiErrorResponses({
    400: [...USER_ID_CODES, 'INVALID_LIMIT', 'INVALID_CURSOR'],
    401: AUTH_CODES,
    403: ADMIN_ONLY,
    500: INTERNAL_CODES,
  })
  list(@Query() q: PagedQuery, @Caller() caller: Identity): Promise<ApiKeyPageDto> {
    return this.keys.list(caller, q.limit ?? DEFAULT_PAGE_LIMIT, q.cursor);
  }

  @Delete(':keyId')
  @HttpCode(204)
  @ApiOperation({
    operationId: 'revokeApiKey',
    summary: 'revoke an API key: refused from the next request on, on every instance',
  })
  @ApiNoContentResponse({ description: 'revoked (also when it already was)' })
  @ApiErrorResponses({
    400: USER_ID_CODES,
    401: AUTH_CODES,
    403: ADMIN_ONLY,
    404: ['KEY_NOT_FOUND'],
    500: INTERNAL_CODES,
  })
  revoke(@Param('keyId') keyId: string, @Query() _q: UserScopedQuery, @Caller() caller: Identity): Promise<void> {
    return this.keys.revoke(caller, keyId);
  }
}
