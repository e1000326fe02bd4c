import { DomainError } from '../../common/errors/domain.error';

export { ProgramNotFoundError } from '../../common/errors/program-not-found.error';

export class IdempotencyConflictError extends DomainError {
  constructor() {
    super('IDEMPOTENCY_CONFLICT', 409, 'this Idempotency-Key was already used with a different request body');
  }
}
