import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { Request } from 'express';

// Accept a caller's id only when it is short and harmless to log.
const SAFE_ID = /^[A-Za-z0-9._:-]{1,100}$/;

/** The caller's X-Request-Id when usable, else a new one: it follows the work through the logs. */
export const CorrelationId = createParamDecorator((_: unknown, ctx: ExecutionContext): string => {
  const header = ctx.switchToHttp().getRequest<Request>().header('x-request-id');
  return header && SAFE_ID.test(header) ? header : randomUUID();
});
