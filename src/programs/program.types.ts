export const PROGRAM_STATUSES = [
  'pending',
  'processing',
  'completed',
  'completed_with_failures',
  'cancelled',
  'aborted',
] as const;
export type ProgramStatus = (typeof PROGRAM_STATUSES)[number];

export const FILE_STATES = ['pending', 'processing', 'done', 'preprocessing_failed', 'document_failed'] as const;
export type FileState = (typeof FILE_STATES)[number];

export type FailureStage = 'preprocessing' | 'document';
export type {
  RetryHistoryEntry,
  RetryResults,
  RetryTriggerName as RetryTrigger,
  RetryTypeName as RetryType,
  StageCounts,
} from '../events/catalogue';
import type { RetryHistoryEntry } from '../events/catalogue';

/** The seed's preprocessing failure record, plus the retry bookkeeping fields of SPEC §4. */
export interface PreprocessingFailureRecord {
  file_path: string;
  index: number;
  error: string;
  retry_count: number;
  timestamp: string;
  error_code: string;
  retryable: boolean;
  next_retry_at: string | null;
  exhausted: boolean;
}

/** The seed's Document-storage failure record, plus the retry bookkeeping fields of SPEC §4. */
export interface DocumentFailureRecord {
  json_key: string;
  filename: string;
  s3_path: string;
  source_file_path: string;
  source_index: number;
  error: string;
  timestamp: string;
  retry_count: number;
  error_code: string;
  retryable: boolean;
  next_retry_at: string | null;
  exhausted: boolean;
}

export interface StageSummary<T> {
  summary: { total: number; success: number; failed: number };
  failed_files: T[];
  failed_files_truncated?: boolean;
}

export interface ProgramMetadata {
  preprocessing: StageSummary<PreprocessingFailureRecord>;
  document_storage: StageSummary<DocumentFailureRecord>;
  total_expected: number;
  total_successful_documents: number;
  has_partial_failure: boolean;
  /** The newest RETRY_HISTORY_INLINE_LIMIT runs, oldest first. */
  retry_history: RetryHistoryEntry[];
  /** Every ended run, inlined or not: only grows, by one per retry. */
  retry_history_total: number;
  retry_history_truncated?: boolean;
}
