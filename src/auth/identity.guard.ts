import { CanActivate, ExecutionContext, Inject, Injectable, SetMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { bearerToken } from '../common/auth/constant-time';
import { attachIdentity, type Identity } from '../common/auth/identity';
import { OPEN_ROUTE } from '../common/auth/open-route';
import { userIdProblem } from '../common/dto/user-scoped.query';
import { UnauthenticatedError } from '../common/errors/auth.errors';
import { InvalidRequestError } from '../common/errors/domain.error';
import type { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { ApiKeysService } from './api-keys.service';
import { UserMismatchError } from './errors/auth.errors';

const ANONYMOUS_ALLOWED = 'batch-ingest:anonymous-allowed';

/**
 * With AUTH_MODE=none a route so marked is served without a user_id too (GET /v1/me, so that a
 * client can learn the mode before it knows a user); every other mode still authenticates it.
 */
export const AnonymousAllowed = (): MethodDecorator => SetMetadata(ANONYMOUS_ALLOWED, true);

/**
 * Who is calling (SPEC §8.8), decided once per request before anything else runs; controllers get
 * it through @Caller(). Every route needs an identity unless it is marked open (@OpenRoute).
 *
 * - none: the seed's `user_id` query parameter is the identity; nobody is an admin.
 * - api-key: `Authorization: Bearer <key>`, checked against the database on every request.
 * - trusted-header: the user id a gateway put in AUTH_USER_HEADER; admins are AUTH_ADMIN_USERS.
 *
 * Credentials are checked first (401), then `user_id`: malformed 400, someone else's 403.
 */
@Injectable()
export class IdentityGuard implements CanActivate {
  private readonly auth: AppConfig['auth'];

  constructor(
    private readonly reflector: Reflector,
    private readonly keys: ApiKeysService,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.auth = config.auth;
  }

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    if (ctx.getType() !== 'http') return true;
    const targets = [ctx.getHandler(), ctx.getClass()];
    if (this.reflector.getAllAndOverride<boolean | undefined>(OPEN_ROUTE, targets)) return true;
    const req = ctx.switchToHttp().getRequest<Request>();
    const authenticated = await this.authenticate(req);
    const claimed = claimedUser(req);
    if (authenticated === undefined) {
      // AUTH_MODE=none: whoever the caller says.
      if (claimed !== undefined) attachIdentity(req, { userId: claimed, admin: false });
      else if (!this.reflector.get<boolean | undefined>(ANONYMOUS_ALLOWED, ctx.getHandler())) {
        throw new InvalidRequestError('INVALID_USER_ID', 'user_id is required');
      }
      return true;
    }
    if (claimed !== undefined && claimed !== authenticated.userId) throw new UserMismatchError();
    attachIdentity(req, authenticated);
    return true;
  }

  /** The authenticated caller; undefined with AUTH_MODE=none, where nobody is authenticated. */
  private async authenticate(req: Request): Promise<Identity | undefined> {
    switch (this.auth.mode) {
      case 'none':
        return undefined;
      case 'api-key': {
        const token = bearerToken(req.headers.authorization);
        const identity = token === undefined ? undefined : await this.keys.authenticate(token);
        // One answer for a missing, malformed, unknown or revoked key: it never says which.
        if (!identity)
          throw new UnauthenticatedError('a valid API key is required (Authorization: Bearer <key>)', true);
        return identity;
      }
      case 'trusted-header': {
        const userId = req.headers[this.auth.userHeader];
        if (typeof userId !== 'string' || userIdProblem(userId) !== undefined) {
          throw new UnauthenticatedError('the request carries no identity from the gateway', false);
        }
        return { userId, admin: this.auth.adminUsers.includes(userId) };
      }
    }
  }
}

/** The `user_id` query parameter when there is one; 400 when it is not a usable user id. */
function claimedUser(req: Request): string | undefined {
  const value: unknown = (req.query as Record<string, unknown>).user_id;
  if (value === undefined) return undefined;
  const problem = userIdProblem(value);
  if (problem !== undefined) throw new InvalidRequestError('INVALID_USER_ID', problem);
  return value as string;
}
