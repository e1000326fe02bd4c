import { DomainError } from '../../common/errors/domain.error';

export { ProgramNotFoundError } from '../../common/errors/program-not-found.error';

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

/**
 * The holder lost the program lock or is shutting down before its run's files settled: the files
 * settle all the same through their leases, and the run is ended as `interrupted`.
 */
export class RetryInterruptedError extends DomainError {
  constructor() {
    super('RETRY_INTERRUPTED', 503, 'the retry was interrupted; its files are still being settled', {
      'Retry-After': '2',
    });
  }
}

export class RetryRunNotFoundError extends DomainError {
  constructor() {
    super('RETRY_NOT_FOUND', 404, 'no such retry run of this program');
  }
}
