/** Why an object could not be read or written, in the terms the pipeline classifies failures by. */
export type StorageFailureKind = 'not_found' | 'unavailable' | 'too_large' | 'aborted' | 'denied' | 'wrong_region';

export class StorageError extends Error {
  constructor(
    readonly kind: StorageFailureKind,
    message: string,
  ) {
    super(message);
    this.name = 'StorageError';
  }
}
