import { EntityManager } from '@mikro-orm/postgresql';
import { Injectable } from '@nestjs/common';
import { GroupCommit } from '../common/group-commit';
import { isoUtc } from '../database/sql';
import type { FailureStage, FileState } from './program.types';

export interface OpenFileRow {
  source_index: number;
  source_file_path: string;
  retry_count: number;
}

export interface FailureRow {
  stage: FailureStage;
  source_index: number;
  source_file_path: string;
  processed_s3_path: string | null;
  error: string;
  error_code: string;
  retryable: boolean;
  retry_count: number;
  failed_at: string;
  next_retry_at: string | null;
  exhausted: boolean;
}

export interface FailureUpdate {
  /** The file's attempt number (0 for its first run, n for its n-th retry): retry_count becomes it. */
  attempt: number;
  error: string;
  errorCode: string;
  retryable: boolean;
  nextRetryAt: Date | null;
  exhausted: boolean;
  processedS3Path?: string;
}

export interface ClaimedFile {
  source_index: number;
  source_file_path: string;
  state: 'preprocessing_failed' | 'document_failed';
  processed_s3_path: string | null;
  /** Attempts made so far; the retry about to be made is attempt retry_count + 1. */
  retry_count: number;
}

export interface DueFilter {
  dueBy: Date;
  maxAttempts: number;
}

export type StateCounts = Record<FileState, number>;

/**
 * The one rule of what the scheduler may retry on its own (the caller adds which stage and when):
 * a retryable failure whose automatic attempts are not used up. The `?` is RETRY_MAX_ATTEMPTS.
 */
const automaticRetryEligible = (t = ''): string => `${t}retryable AND NOT ${t}exhausted AND ${t}retry_count < ?`;

const STAGE_STATE: Record<FailureStage, FileState> = {
  preprocessing: 'preprocessing_failed',
  document: 'document_failed',
};

/** SQL for the per-file state: the source of truth of every outcome. */
interface DoneFile {
  programId: string;
  sourceIndex: number;
  processedS3Path: string;
  attempt: number;
}

interface FailedFile extends FailureUpdate {
  programId: string;
  sourceIndex: number;
  state: FileState;
}

@Injectable()
export class ProgramFilesRepository {
  private readonly doneWrites = new GroupCommit<DoneFile, void>((batch) => this.markDoneBatch(batch));
  private readonly failureWrites = new GroupCommit<FailedFile, void>((batch) => this.markFailedBatch(batch));

  constructor(private readonly em: EntityManager) {}

  async openFiles(programId: string, state: FileState, afterIndex: number, limit: number): Promise<OpenFileRow[]> {
    return this.em.execute<OpenFileRow[]>(
      `SELECT source_index, source_file_path, retry_count FROM program_files
       WHERE program_id = ? AND state = ? AND source_index > ?
       ORDER BY source_index LIMIT ?`,
      [programId, state, afterIndex, limit],
    );
  }

  async countByState(programId: string): Promise<StateCounts> {
    const rows = await this.em.execute<{ state: FileState; n: number }[]>(
      `SELECT state, count(*)::int AS n FROM program_files WHERE program_id = ? GROUP BY state`,
      [programId],
    );
    const counts: StateCounts = { pending: 0, done: 0, preprocessing_failed: 0, document_failed: 0 };
    for (const r of rows) counts[r.state] = r.n;
    return counts;
  }

  /**
   * Resolves once the file's row says `done`; files finishing together share one UPDATE. The attempt
   * is counted here, with its outcome: an attempt that never ran (a retry cut short) costs nothing.
   */
  markDone(programId: string, sourceIndex: number, processedS3Path: string, attempt: number): Promise<void> {
    return this.doneWrites.add({ programId, sourceIndex, processedS3Path, attempt });
  }

  // `state <> 'done'`: a late or repeated outcome never turns a finished file back into a failure.
  private async markDoneBatch(batch: DoneFile[]): Promise<void[]> {
    await this.em.execute(
      `UPDATE program_files f SET state = 'done', processed_s3_path = v.path, error = NULL, error_code = NULL,
         retryable = NULL, failed_at = NULL, next_retry_at = NULL, exhausted = false,
         retry_count = GREATEST(f.retry_count, v.attempt), updated_at = now()
       FROM (VALUES ${batch.map(() => '(?, ?::int, ?, ?::int)').join(', ')}) AS v(program_id, source_index, path, attempt)
       WHERE f.program_id = v.program_id AND f.source_index = v.source_index AND f.state <> 'done'`,
      batch.flatMap((d) => [d.programId, d.sourceIndex, d.processedS3Path, d.attempt]),
    );
    return batch.map(() => undefined);
  }

  /** Resolves once the failure is in the file's row; failures recorded together share one UPDATE. */
  markFailed(programId: string, sourceIndex: number, stage: FailureStage, f: FailureUpdate): Promise<void> {
    return this.failureWrites.add({ ...f, programId, sourceIndex, state: STAGE_STATE[stage] });
  }

  private async markFailedBatch(batch: FailedFile[]): Promise<void[]> {
    await this.em.execute(
      `UPDATE program_files f SET state = v.state, error = v.error, error_code = v.code, retryable = v.retryable,
         processed_s3_path = COALESCE(v.path, f.processed_s3_path), failed_at = now(),
         next_retry_at = v.next_retry_at, exhausted = v.exhausted,
         retry_count = GREATEST(f.retry_count, v.attempt), updated_at = now()
       FROM (VALUES ${batch.map(() => '(?, ?::int, ?::int, ?, ?, ?, ?::boolean, ?, ?::timestamptz, ?::boolean)').join(', ')})
         AS v(program_id, source_index, attempt, state, error, code, retryable, path, next_retry_at, exhausted)
       WHERE f.program_id = v.program_id AND f.source_index = v.source_index AND f.state <> 'done'`,
      batch.flatMap((b) => [
        b.programId,
        b.sourceIndex,
        b.attempt,
        b.state,
        b.error,
        b.errorCode,
        b.retryable,
        b.processedS3Path ?? null,
        b.nextRetryAt?.toISOString() ?? null,
        b.exhausted,
      ]),
    );
    return batch.map(() => undefined);
  }

  /**
   * The failed files of the given stages a retry is about to attempt (read under the program lock, so
   * nobody else retries them meanwhile). Nothing is counted here: each attempt adds to retry_count
   * when its outcome is recorded. With `due`, only what the scheduler may retry automatically:
   * retryable, not exhausted, under the attempt limit, and due.
   */
  async failedForRetry(programId: string, stages: FailureStage[], due?: DueFilter): Promise<ClaimedFile[]> {
    const states = stages.map((s) => STAGE_STATE[s]);
    const params: unknown[] = [programId, ...states];
    let dueSql = '';
    if (due) {
      dueSql = `AND ${automaticRetryEligible()} AND next_retry_at <= ?::timestamptz`;
      params.push(due.maxAttempts, due.dueBy.toISOString());
    }
    return this.em.execute<ClaimedFile[]>(
      `SELECT source_index, source_file_path, state, processed_s3_path, retry_count FROM program_files
       WHERE program_id = ? AND state IN (${states.map(() => '?').join(', ')}) ${dueSql}
       ORDER BY source_index`,
      params,
    );
  }

  /**
   * Programs with at least one failure the scheduler may retry now, longest overdue first, leaving
   * out programs whose first run is not over (that run owns their files).
   */
  async programsWithDueRetries(due: DueFilter, limit: number): Promise<string[]> {
    const rows = await this.em.execute<{ program_id: string }[]>(
      `SELECT f.program_id FROM program_files f
       JOIN program_states s ON s.program_id = f.program_id AND s.status NOT IN ('pending', 'processing')
       WHERE f.state IN ('preprocessing_failed', 'document_failed') AND ${automaticRetryEligible('f.')}
         AND f.next_retry_at <= ?::timestamptz
       GROUP BY f.program_id ORDER BY min(f.next_retry_at) LIMIT ?`,
      [due.maxAttempts, due.dueBy.toISOString(), limit],
    );
    return rows.map((r) => r.program_id);
  }

  /** Failures in source order, one stage or both; keyset on source_index (a file fails at one stage at most). */
  async failures(programId: string, stage: FailureStage | undefined, afterIndex: number, limit: number): Promise<FailureRow[]> {
    const states = stage ? [STAGE_STATE[stage]] : [STAGE_STATE.preprocessing, STAGE_STATE.document];
    return this.em.execute<FailureRow[]>(
      `SELECT CASE state WHEN 'preprocessing_failed' THEN 'preprocessing' ELSE 'document' END AS stage,
         source_index, source_file_path, processed_s3_path, error, error_code, retryable, retry_count,
         ${isoUtc('failed_at')} AS failed_at, ${isoUtc('next_retry_at')} AS next_retry_at, exhausted
       FROM program_files
       WHERE program_id = ? AND state IN (${states.map(() => '?').join(', ')}) AND source_index > ?
       ORDER BY source_index LIMIT ?`,
      [programId, ...states, afterIndex, limit],
    );
  }
}
