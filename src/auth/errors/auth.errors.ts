import { DomainError } from '../../common/errors/domain.error';

/** `user_id` names someone else than the authenticated caller: it is a check, never a way to act as another user. */
export class UserMismatchError extends DomainError {
  constructor() {
    super('USER_MISMATCH', 403, 'user_id does not name the authenticated user');
  }
}

/** No key with that id (a revoked key is still found: revoking it again changes nothing). */
export class KeyNotFoundError extends DomainError {
  constructor() {
    super('KEY_NOT_FOUND', 404, 'API key not found');
  }
}
