import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { Request } from 'express';
import { SAFE_REQUEST_ID } from '../logging';

/**
 * The request's id (the caller's X-Request-Id when usable, else a new one, echoed back): the
 * request's log lines and the background work it starts carry the same id.
 */
export const CorrelationId = createParamDecorator((_: unknown, ctx: ExecutionContext): string => {
  const req = ctx.switchToHttp().getRequest<Request & { id?: unknown }>();
  if (typeof req.id === 'string') return req.id;
  const header = req.header('x-request-id');
  return header && SAFE_REQUEST_ID.test(header) ? header : randomUUID();
});
