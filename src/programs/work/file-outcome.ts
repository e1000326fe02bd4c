/** How one pass of a file ended, as the worker records it. */
export type FileOutcome =
  | { kind: 'done'; entryStage: Stage; stage: 'document'; s3Path: string; documentId: string }
  | {
      kind: 'failed';
      entryStage: Stage;
      stage: Stage;
      errorCode: string;
      error: string;
      retryable: boolean;
      s3Path?: string;
    }
  | { kind: 'fenced' };

type Stage = 'preprocessing' | 'document';

// Document failures that only a new processed JSON can cure: retry_type=all preprocesses them again.
const NEEDS_NEW_JSON = new Set(['PROCESSED_JSON_MISSING', 'PROCESSED_JSON_INVALID']);

export const needsNewJson = (errorCode: string): boolean => NEEDS_NEW_JSON.has(errorCode);
