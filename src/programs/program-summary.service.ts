import { Inject, Injectable } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { RetryHistoryQuery } from '../retry/queries/retry-history.query';
import type { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import type { RetryHistoryEntry, RetryHistoryWindow } from '../events/catalogue';
import { toDocumentRecord, toPreprocessingRecord } from './failure-records';
import { ProgramFilesRepository } from './program-files.repository';
import type { ProgramMetadata, ProgramStatus } from './program.types';
import { ProgramsRepository } from './programs.repository';
import { settledStatus } from './settle.policy';

export type SummaryWrite = 'progress' | 'settle' | 'retry';

/**
 * metadata_json is derived, never edited in place: it is rebuilt from the per-file rows and the
 * retry runs by a few aggregate queries. That keeps it correct after a crash and makes its writes
 * O(refreshes) rather than O(files), whatever the size of the program.
 */
@Injectable()
export class ProgramSummaryService {
  constructor(
    private readonly programs: ProgramsRepository,
    private readonly files: ProgramFilesRepository,
    private readonly queries: QueryBus,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  static initial(totalFiles: number): ProgramMetadata {
    return {
      preprocessing: { summary: { total: totalFiles, success: 0, failed: 0 }, failed_files: [] },
      document_storage: { summary: { total: 0, success: 0, failed: 0 }, failed_files: [] },
      total_expected: totalFiles,
      total_successful_documents: 0,
      has_partial_failure: false,
      retry_history: [],
      retry_history_total: 0,
    };
  }

  /**
   * Rewrites the summary. `progress`: only while the first run is going on (a late progress write can
   * never touch a settled program). `settle`: the first run's end — when no file is left unsettled,
   * the status settles, once. `retry`: after a retry, under the program lock, on a settled program.
   * Returns the status settled, or undefined when none was.
   */
  async refresh(
    programId: string,
    totalFiles: number,
    mode: SummaryWrite,
    ending?: RetryHistoryEntry,
  ): Promise<ProgramStatus | undefined> {
    const limit = this.config.failedFilesInlineLimit;
    const [counts, pre, doc, history] = await Promise.all([
      this.files.countByState(programId),
      this.files.failures(programId, 'preprocessing', -1, limit),
      this.files.failures(programId, 'document', -1, limit),
      this.queries.execute(new RetryHistoryQuery(programId, this.config.retryHistoryInlineLimit)),
    ]);
    const preFailed = counts.preprocessing_failed;
    const preSuccess = counts.done + counts.document_failed;
    const docFailed = counts.document_failed;
    const hasPartialFailure = preFailed + docFailed > 0;
    const bucket = this.config.s3.bucket;

    const metadata: ProgramMetadata = {
      preprocessing: {
        summary: { total: totalFiles, success: preSuccess, failed: preFailed },
        failed_files: pre.map(toPreprocessingRecord),
        ...(preFailed > pre.length ? { failed_files_truncated: true } : {}),
      },
      document_storage: {
        summary: { total: preSuccess, success: counts.done, failed: docFailed },
        failed_files: doc.map((r) => toDocumentRecord(r, programId, bucket)),
        ...(docFailed > doc.length ? { failed_files_truncated: true } : {}),
      },
      total_expected: totalFiles,
      total_successful_documents: counts.done,
      has_partial_failure: hasPartialFailure,
      ...retryHistory(history, ending, this.config.retryHistoryInlineLimit),
    };
    const settled: ProgramStatus = settledStatus(counts);
    if (mode === 'retry') {
      await this.programs.writeSummary(programId, metadata, { status: settled, onlyWhileRunning: false });
      return settled;
    }
    const status = mode === 'settle' && counts.pending + counts.processing === 0 ? settled : undefined;
    const written = await this.programs.writeSummary(programId, metadata, { status, onlyWhileRunning: true });
    return written ? status : undefined;
  }
}

/**
 * The inline window of retry_history (SPEC §8.3): the newest runs, oldest first. The run about to
 * end is still `running`, so the history read does not hold it yet: it is added here.
 */
function retryHistory(
  history: RetryHistoryWindow,
  ending: RetryHistoryEntry | undefined,
  limit: number,
): Pick<ProgramMetadata, 'retry_history' | 'retry_history_total' | 'retry_history_truncated'> {
  const all = ending ? [...history.entries, ending] : history.entries;
  const total = history.total + (ending ? 1 : 0);
  const entries = limit === 0 ? [] : all.slice(-limit);
  return {
    retry_history: entries,
    retry_history_total: total,
    ...(total > entries.length ? { retry_history_truncated: true } : {}),
  };
}
