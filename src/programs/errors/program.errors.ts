import { DomainError } from '../../common/errors/domain.error';

/** Also what another user's program answers: existence is never revealed across users. */
export class ProgramNotFoundError extends DomainError {
  // The id is not echoed back: the answer must read the same whoever owns (or not) the program.
  constructor() {
    super('PROGRAM_NOT_FOUND', 404, 'program not found');
  }
}

export class IdempotencyConflictError extends DomainError {
  constructor() {
    super('IDEMPOTENCY_CONFLICT', 409, 'this Idempotency-Key was already used with a different request body');
  }
}

export class ProgramBusyError extends DomainError {
  constructor(programId: string) {
    super('PROGRAM_BUSY', 409, `program ${programId} is being processed or retried right now`);
  }
}

/**
 * Every running manual retry holds a database connection for its lock; past MAX_CONCURRENT_RETRIES
 * on one replica the caller is asked to come back (Retry-After) instead of queueing.
 */
export class RetryCapacityError extends DomainError {
  constructor(limit: number, retryAfterSeconds: number) {
    super('RETRY_CAPACITY', 429, `this instance is already running ${limit} retries; try again shortly`, {
      'Retry-After': String(retryAfterSeconds),
    });
  }
}
