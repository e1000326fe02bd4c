import { DomainError } from './domain.error';

/**
 * No usable credentials: no key, an unknown or revoked one, no identity from the gateway, a wrong
 * metrics token. One code for all of them, so an answer never says which part was wrong. Shared:
 * the identity guard and the /metrics guard both answer it.
 */
export class UnauthenticatedError extends DomainError {
  constructor(message: string, bearer: boolean) {
    super('UNAUTHENTICATED', 401, message, bearer ? { 'WWW-Authenticate': 'Bearer realm="batch-ingest"' } : {});
  }
}

/**
 * An admin-only request from someone who is not an admin (every caller, with AUTH_MODE=none).
 * Shared: the program list (`all_users=true`) and key management both answer it.
 */
export class AdminRequiredError extends DomainError {
  constructor(what: string) {
    super('ADMIN_REQUIRED', 403, `${what} is for admins only`);
  }
}
