/**
 * Failure classes of SPEC §5. Retryable ones may succeed later without anyone changing the file
 * (it is uploaded, S3 recovers); the others need a different file.
 */
export const PREPROCESSING_ERROR_CODES = {
  SOURCE_NOT_FOUND: true,
  STORAGE_UNAVAILABLE: true,
  TIMEOUT: true,
  ACCESS_DENIED: false,
  // The source's bucket is in a region S3 would not redirect us to: asking again gives the same answer.
  SOURCE_WRONG_REGION: false,
  INVALID_PATH: false,
  UNSUPPORTED_TYPE: false,
  CORRUPT_FILE: false,
  EMPTY_TEXT: false,
  TOO_LARGE: false,
  // Bytes that decode to text under no encoding we can tell with confidence (never U+FFFD soup).
  ENCODING_UNKNOWN: false,
  // A fault of ours (a worker died), not of the file: another attempt may well succeed.
  INTERNAL_ERROR: true,
} as const satisfies Record<string, boolean>;

export type PreprocessingErrorCode = keyof typeof PREPROCESSING_ERROR_CODES;

export class PreprocessingError extends Error {
  readonly retryable: boolean;

  constructor(
    readonly code: PreprocessingErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'PreprocessingError';
    this.retryable = PREPROCESSING_ERROR_CODES[code];
  }
}
