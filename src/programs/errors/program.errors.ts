import { DomainError } from '../../common/errors/domain.error';

export { ProgramNotFoundError } from '../../common/errors/program-not-found.error';

export class IdempotencyConflictError extends DomainError {
  constructor() {
    super('IDEMPOTENCY_CONFLICT', 409, 'this Idempotency-Key was already used with a different request body');
  }
}

/** The program exists and is the caller's, but has no file at that source index. */
export class FileNotFoundError extends DomainError {
  constructor() {
    super('FILE_NOT_FOUND', 404, 'the program has no file at this index');
  }
}

/** Cancel of a program whose first run has settled already: there is nothing left to stop. */
export class ProgramNotRunningError extends DomainError {
  constructor() {
    super('PROGRAM_NOT_RUNNING', 409, 'the program is not running: its first run has settled');
  }
}
