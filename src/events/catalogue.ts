import { BusEvent, EventMeta, RequestEvent } from './bus-event';

/**
 * The one catalogue of cross-module events. Flow of one file:
 *   programs  --FileProcessingRequested-->  preprocessing
 *   preprocessing --FilePreprocessed--> documents  |  --FilePreprocessingFailed--> programs
 *   documents --DocumentStored / DocumentStorageFailed--> programs
 * Emitters await the whole chain (emitAsync), so the programs runner knows when a file is settled;
 * the outcome itself is recorded in PostgreSQL by the programs module's listener.
 */

export interface FileRef extends EventMeta {
  programId: string;
  sourceIndex: number;
  sourceFilePath: string;
  /** This attempt's number: 0 in the first run, retry_count + 1 in a retry. Recorded with its outcome. */
  attempt: number;
}

export class FileProcessingRequestedEvent extends BusEvent<FileRef> {
  static override readonly eventName = 'file.processing-requested';
}

export interface FilePreprocessedPayload extends FileRef {
  /** s3:// URI of the processed JSON. */
  s3Path: string;
  title: string;
  contentType: string;
  characters: number;
  chunkCount: number;
  sha256: string;
}

export class FilePreprocessedEvent extends BusEvent<FilePreprocessedPayload> {
  static override readonly eventName = 'file.preprocessed';
}

export interface FileFailurePayload extends FileRef {
  error: string;
  errorCode: string;
  retryable: boolean;
}

export class FilePreprocessingFailedEvent extends BusEvent<FileFailurePayload> {
  static override readonly eventName = 'file.preprocessing-failed';
}

export interface DocumentStoredPayload extends FileRef {
  documentId: string;
  s3Path: string;
  /** False when the Document already existed (a redo after a crash): still a success, never a second row. */
  created: boolean;
}

export class DocumentStoredEvent extends BusEvent<DocumentStoredPayload> {
  static override readonly eventName = 'document.stored';
}

export interface DocumentStorageFailedPayload extends FileFailurePayload {
  /** s3:// URI of the processed JSON the Document was to be built from. */
  s3Path: string;
}

export class DocumentStorageFailedEvent extends BusEvent<DocumentStorageFailedPayload> {
  static override readonly eventName = 'document.storage-failed';
}

export interface DocumentRetryRequestedPayload extends FileRef {
  /** s3:// URI of the processed JSON to rebuild the Document from; checked and validated first. */
  s3Path: string;
}

/** Retry of Document storage alone: the processed JSON already exists (or is found missing). */
export class DocumentRetryRequestedEvent extends BusEvent<DocumentRetryRequestedPayload> {
  static override readonly eventName = 'document.retry-requested';
}

export type RetryTypeName = 'preprocessing' | 'document' | 'all';
export type RetryTriggerName = 'manual' | 'scheduled';

export interface StageCounts {
  retried: number;
  success: number;
  failed: number;
}

export interface RetryResults {
  preprocessing: StageCounts;
  document: StageCounts;
}

export interface ProgramRetryRequestedPayload extends EventMeta {
  programId: string;
  retryType: RetryTypeName;
  trigger: RetryTriggerName;
  /** Scheduled rounds only: retry the failures due by this instant (the scheduler's clock). */
  dueBy?: string;
  /** Scheduled rounds only: files that used this many automatic attempts are left alone. */
  maxAttempts?: number;
}

/**
 * Retry a program's failed files under its lock. Answers the counts, or null when a scheduled
 * round found the program held by someone else (or nothing due).
 */
export class ProgramRetryRequestedEvent extends RequestEvent<ProgramRetryRequestedPayload, RetryResults | null> {
  static override readonly eventName = 'program.retry-requested';
}

/** Look for programs whose run did not finish (a crash) and resume those nobody holds. */
export class UnfinishedProgramsScanRequestedEvent extends BusEvent<EventMeta> {
  static override readonly eventName = 'programs.unfinished-scan-requested';
}
