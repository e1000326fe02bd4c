import { CanActivate, ExecutionContext, Inject, Injectable } from '@nestjs/common';
import type { Request } from 'express';
import { bearerToken, constantTimeEqual } from '../common/auth/constant-time';
import { UnauthenticatedError } from '../common/errors/auth.errors';
import type { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';

/** With METRICS_TOKEN set, a scrape must send it as `Authorization: Bearer <token>`; without, /metrics is open. */
@Injectable()
export class MetricsTokenGuard implements CanActivate {
  private readonly token?: string;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.token = config.auth.metricsToken;
  }

  canActivate(ctx: ExecutionContext): boolean {
    if (this.token === undefined) return true;
    const presented = bearerToken(ctx.switchToHttp().getRequest<Request>().headers.authorization);
    // Compared even when nothing was sent: the time taken never tells how close a guess was.
    const matches = constantTimeEqual(presented ?? '', this.token);
    if (presented === undefined || !matches) {
      throw new UnauthenticatedError('METRICS_TOKEN is required (Authorization: Bearer <token>)', true);
    }
    return true;
  }
}
