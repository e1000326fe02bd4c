import { Inject, Logger, Module, OnApplicationBootstrap } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import type { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { ApiKeysRepository } from './api-keys.repository';
import { ApiKeysService } from './api-keys.service';
import { IdentityGuard } from './identity.guard';
import { KeysController } from './keys.controller';
import { MeController } from './me.controller';

/** Identity (SPEC §8.8): the global guard that decides who calls, API keys, and GET /v1/me. */
@Module({
  controllers: [MeController, KeysController],
  providers: [ApiKeysRepository, ApiKeysService, { provide: APP_GUARD, useClass: IdentityGuard }],
})
export class AuthModule implements OnApplicationBootstrap {
  private readonly logger = new Logger('Identity');

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  onApplicationBootstrap(): void {
    const { mode, userHeader } = this.config.auth;
    if (this.config.auth.warnUnauthenticated) {
      this.logger.warn(
        'AUTH_MODE=none with DATABASE_URL set: nobody is authenticated, the user_id query parameter is taken ' +
          'at its word, and anyone who can reach the service can act as any user. Set AUTH_MODE=api-key or ' +
          'AUTH_MODE=trusted-header.',
      );
    } else {
      this.logger.log(
        mode === 'trusted-header'
          ? `AUTH_MODE=trusted-header (identity from the ${userHeader} header)`
          : `AUTH_MODE=${mode}`,
      );
    }
  }
}
