/**
 * Every machine-readable `code` an error answer can carry: the OpenAPI document publishes them as
 * one enum, so a generated client can switch on them exhaustively. error-codes.spec.ts reads the
 * sources and fails when a code is thrown that is not listed here (or listed and never thrown).
 */
export const ERROR_CODES = [
  // 400: the request itself (query, path, body), named by the validator or the use case.
  'INVALID_USER_ID',
  'INVALID_ALL_USERS',
  'INVALID_ADMIN',
  'INVALID_LIMIT',
  'INVALID_CURSOR',
  'INVALID_STATUS',
  'INVALID_STAGE',
  'INVALID_ERROR_CODE',
  'INVALID_FORMAT',
  'INVALID_INDEX',
  'INVALID_RETRY_TYPE',
  'INVALID_WAIT',
  'INVALID_SELECTION',
  'INVALID_NAME',
  'FILES_NOT_A_LIST',
  'EMPTY_FILE_LIST',
  'TOO_MANY_FILES',
  'INVALID_S3_PATH',
  'SOURCE_BUCKET_NOT_ALLOWED',
  'DUPLICATE_FILES',
  'INVALID_IDEMPOTENCY_KEY',
  'INVALID_FAILURE_BUDGET',
  'INVALID_WEBHOOK_URL',
  'WEBHOOK_NOT_ALLOWED',
  'VALIDATION_FAILED',
  'INVALID_JSON',
  'INVALID_BODY',
  // 401: no usable credentials (API key, the gateway's identity header, the metrics token).
  'UNAUTHENTICATED',
  // 403
  'USER_MISMATCH',
  'ADMIN_REQUIRED',
  // 404
  'PROGRAM_NOT_FOUND',
  'FILE_NOT_FOUND',
  'RETRY_NOT_FOUND',
  'KEY_NOT_FOUND',
  // 409
  'IDEMPOTENCY_CONFLICT',
  'PROGRAM_BUSY',
  'PROGRAM_NOT_RUNNING',
  // 413
  'PAYLOAD_TOO_LARGE',
  // 429
  'RETRY_CAPACITY',
  // 503
  'SHUTTING_DOWN',
  'RETRY_INTERRUPTED',
  // 500
  'INTERNAL_ERROR',
  // What the exception filter names an HTTP error that carries no code of its own (an unknown
  // route's 404, a failed readiness check's 503).
  'BAD_REQUEST',
  'NOT_FOUND',
  'METHOD_NOT_ALLOWED',
  'CONFLICT',
  'UNSUPPORTED_MEDIA_TYPE',
  'TOO_MANY_REQUESTS',
  'SERVICE_UNAVAILABLE',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];
