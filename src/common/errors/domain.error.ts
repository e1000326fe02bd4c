/**
 * An expected failure with a machine-readable code. The global exception filter maps it to HTTP;
 * nothing else needs to know about status codes.
 */
export class DomainError extends Error {
  constructor(
    readonly code: string,
    readonly httpStatus: number,
    message: string,
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
