import { applyDecorators } from '@nestjs/common';
import { ApiResponse } from '@nestjs/swagger';
import type { ErrorCode } from '../errors/error-codes';
import { ErrorDto } from './error.dto';

export type ErrorStatus = 400 | 401 | 403 | 404 | 409 | 413 | 415 | 429 | 500 | 503;

/** Sent with RETRY_CAPACITY, SHUTTING_DOWN and RETRY_INTERRUPTED: when asking again makes sense. */
export const RETRY_AFTER_HEADER = {
  'Retry-After': {
    description: 'seconds to wait before asking again',
    schema: { type: 'integer', minimum: 0 },
  },
} as const;

const NOTES: Partial<Record<ErrorStatus, string>> = {
  401: 'AUTH_MODE=api-key: no Authorization: Bearer key, or an unknown or revoked one; trusted-header: no identity header',
  403: 'user_id names another user than the authenticated one',
  404: "also when the program is another user's",
  500: 'an unexpected failure (the database unreachable, a bug); never a stack trace',
};

/**
 * Declares a route's error answers, all with the one ErrorDto schema; the description names the
 * codes this route can answer with that status, since the schema's enum lists every code there is.
 */
export function ApiErrorResponses(
  errors: Partial<Record<ErrorStatus, readonly ErrorCode[] | { codes: readonly ErrorCode[]; note: string }>>,
): MethodDecorator {
  return applyDecorators(
    ...Object.entries(errors).map(([status, entry]) => {
      const { codes, note } = 'codes' in entry ? entry : { codes: entry, note: NOTES[Number(status) as ErrorStatus] };
      return ApiResponse({
        status: Number(status),
        type: ErrorDto,
        description: [codes.join(', '), note].filter(Boolean).join(': '),
        ...(status === '429' || status === '503' ? { headers: RETRY_AFTER_HEADER } : {}),
      });
    }),
  );
}

/** Every /v1 call: a bad or missing `user_id`. */
export const USER_ID_CODES = ['INVALID_USER_ID'] as const satisfies readonly ErrorCode[];
/** Every /v1 call with a real identity (AUTH_MODE api-key or trusted-header): no usable credentials. */
export const AUTH_CODES = ['UNAUTHENTICATED'] as const satisfies readonly ErrorCode[];
/** Every /v1 call: a `user_id` that names someone else than the authenticated caller. */
export const MISMATCH_CODES = ['USER_MISMATCH'] as const satisfies readonly ErrorCode[];
/** Every call that reads the database or S3 can meet them down: the filter's bare 500. */
export const INTERNAL_CODES = ['INTERNAL_ERROR'] as const satisfies readonly ErrorCode[];
/** What the JSON body parser refuses, before any route code runs (routes that take a body). */
export const BODY_CODES = ['INVALID_JSON', 'INVALID_BODY'] as const satisfies readonly ErrorCode[];
