import { processedFileName, processedKey, s3Uri } from '../common/processed-json';
import type { FailureRow } from './program-files.repository';
import type { DocumentFailureRecord, PreprocessingFailureRecord } from './program.types';

/** Rows → the seed's failure records (SPEC §4); the same mapping feeds metadata_json and GET …/failures. */
export function toPreprocessingRecord(r: FailureRow): PreprocessingFailureRecord {
  return {
    file_path: r.source_file_path,
    index: r.source_index,
    error: r.error,
    retry_count: r.retry_count,
    timestamp: r.failed_at,
    error_code: r.error_code,
    retryable: r.retryable,
    next_retry_at: r.next_retry_at,
    exhausted: r.exhausted,
  };
}

export function toDocumentRecord(r: FailureRow, programId: string, bucket: string): DocumentFailureRecord {
  return {
    json_key: `json_file_${r.source_index}`,
    filename: processedFileName(programId, r.source_index),
    s3_path: r.processed_s3_path ?? s3Uri(bucket, processedKey(programId, r.source_index)),
    source_file_path: r.source_file_path,
    source_index: r.source_index,
    error: r.error,
    timestamp: r.failed_at,
    retry_count: r.retry_count,
    error_code: r.error_code,
    retryable: r.retryable,
    next_retry_at: r.next_retry_at,
    exhausted: r.exhausted,
  };
}
