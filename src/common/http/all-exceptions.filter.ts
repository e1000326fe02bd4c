import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import { STATUS_CODES } from 'node:http';
import type { NextFunction, Request, Response } from 'express';
import { DomainError } from '../errors/domain.error';

export interface ErrorBody {
  statusCode: number;
  error: string;
  message: string;
  code: string;
}

const CODE_BY_STATUS: Record<number, string> = {
  400: 'BAD_REQUEST',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  409: 'CONFLICT',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  429: 'TOO_MANY_REQUESTS',
  503: 'SERVICE_UNAVAILABLE',
};

/** Body-parser errors arrive as plain errors carrying an HTTP status and a `type`. */
interface BodyParserError {
  status?: number;
  statusCode?: number;
  type?: string;
  expose?: boolean;
}

/** The one place where errors become HTTP answers: always the documented shape, never a stack. */
@Catch()
export class AllExceptionsFilter implements ExceptionFilter {
  private readonly logger = new Logger(AllExceptionsFilter.name);

  catch(exception: unknown, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<Response>();
    const body = toErrorBody(exception);
    // Expected answers (a 503 from readiness, a 409) are not errors of the service; anything else is.
    if (body.statusCode >= 500 && !(exception instanceof HttpException) && !(exception instanceof DomainError)) {
      this.logger.error(
        `unhandled error: ${exception instanceof Error ? exception.message : String(exception)}`,
        exception instanceof Error ? exception.stack : undefined,
      );
    }
    if (res.headersSent) return;
    if (exception instanceof DomainError) {
      for (const [name, value] of Object.entries(exception.headers)) res.setHeader(name, value);
    }
    res.status(body.statusCode).json(body);
  }
}

/** Maps anything thrown to the documented error body; unknown errors become a bare 500. */
export function toErrorBody(exception: unknown): ErrorBody {
  if (exception instanceof DomainError) {
    return errorBody(exception.httpStatus, exception.message, exception.code);
  }
  if (exception instanceof HttpException) {
    const status = exception.getStatus();
    const response = exception.getResponse();
    const r = typeof response === 'object' && response !== null ? (response as Record<string, unknown>) : {};
    const message = Array.isArray(r.message)
      ? r.message.join('; ')
      : typeof r.message === 'string'
        ? r.message
        : exception.message;
    const code = typeof r.code === 'string' ? r.code : (CODE_BY_STATUS[status] ?? `HTTP_${status}`);
    return errorBody(status, message, code);
  }
  const bp = exception as BodyParserError;
  const bpStatus = bp?.status ?? bp?.statusCode;
  if (typeof bpStatus === 'number' && bpStatus >= 400 && bpStatus < 500 && bp.type) {
    if (bp.type === 'entity.too.large') return errorBody(413, 'request body is too large', 'PAYLOAD_TOO_LARGE');
    if (bp.type === 'entity.parse.failed') return errorBody(400, 'request body is not valid JSON', 'INVALID_JSON');
    return errorBody(bpStatus, 'request body could not be read', 'INVALID_BODY');
  }
  return errorBody(HttpStatus.INTERNAL_SERVER_ERROR, 'internal error', 'INTERNAL_ERROR');
}

function errorBody(statusCode: number, message: string, code: string): ErrorBody {
  return { statusCode, error: STATUS_CODES[statusCode] ?? 'Error', message, code };
}

/**
 * Express error middleware for the JSON body parser, which runs before Nest's routing and would
 * otherwise reach the filter as an anonymous 400.
 */
export function bodyParserErrorHandler(err: unknown, _req: Request, res: Response, next: NextFunction): void {
  if ((err as BodyParserError)?.type) {
    const body = toErrorBody(err);
    res.status(body.statusCode).json(body);
    return;
  }
  next(err);
}
