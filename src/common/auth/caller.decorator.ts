import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';
import { identityOf, type Identity } from './identity';

/**
 * The caller's identity (`{ userId, admin }`), established by the global identity guard before the
 * route runs. A route the guard let through without one (an open route) has none to give: that is
 * a wiring mistake, and answers 500 rather than serving some default user.
 */
export const Caller = createParamDecorator((_: unknown, ctx: ExecutionContext): Identity => {
  const identity = identityOf(ctx.switchToHttp().getRequest<Request>());
  if (!identity) throw new Error('no caller identity on this route: is it marked open by mistake?');
  return identity;
});

/** The same, for the one route that also answers an anonymous caller (GET /v1/me with AUTH_MODE=none). */
export const OptionalCaller = createParamDecorator((_: unknown, ctx: ExecutionContext): Identity | undefined =>
  identityOf(ctx.switchToHttp().getRequest<Request>()),
);
