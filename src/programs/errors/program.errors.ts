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
