import { Controller, Get, Inject, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { OptionalCaller } from '../common/auth/caller.decorator';
import type { Identity } from '../common/auth/identity';
import {
  ApiErrorResponses,
  AUTH_CODES,
  INTERNAL_CODES,
  MISMATCH_CODES,
  USER_ID_CODES,
} from '../common/dto/api-responses';
import { UserScopedQuery } from '../common/dto/user-scoped.query';
import type { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { MeDto } from './dto/me.dto';
import { AnonymousAllowed } from './identity.guard';

@ApiTags('identity')
@ApiBearerAuth('api-key')
@Controller('v1/me')
export class MeController {
  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  @Get()
  @AnonymousAllowed()
  @ApiOperation({
    operationId: 'getMe',
    summary: 'who the caller is, whether an admin, and how callers are identified',
    description: 'With AUTH_MODE=none and no user_id it answers user_id null: a client learns the mode first.',
  })
  @ApiOkResponse({ type: MeDto })
  @ApiErrorResponses({ 400: USER_ID_CODES, 401: AUTH_CODES, 403: MISMATCH_CODES, 500: INTERNAL_CODES })
  me(@Query() _q: UserScopedQuery, @OptionalCaller() caller: Identity | undefined): MeDto {
    return { user_id: caller?.userId ?? null, admin: caller?.admin ?? false, auth_mode: this.config.auth.mode };
  }
}
