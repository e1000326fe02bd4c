/**
 * An expected failure with a machine-readable code. The global exception filter maps it to HTTP;
 * nothing else needs to know about status codes.
 */
export class DomainError extends Error {
  constructor(
    readonly code: string,
    readonly httpStatus: number,
    message: string,
    /** Headers the answer carries (Retry-After on 429/503). */
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class InvalidRequestError extends DomainError {
  constructor(code: string, message: string) {
    super(code, 400, message);
  }
}

/** This replica is draining after SIGTERM: the client should go to another one. */
export class ShuttingDownError extends DomainError {
  constructor() {
    super('SHUTTING_DOWN', 503, 'this instance is shutting down; try again', { 'Retry-After': '1' });
  }
}
