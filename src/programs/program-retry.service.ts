import { Inject, Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { forEachBounded } from '../common/concurrency';
import { processedKey, s3Uri } from '../common/processed-json';
import type { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { BusEvent, meta } from '../events/bus-event';
import {
  DocumentRetryRequestedEvent,
  FileProcessingRequestedEvent,
  FileRef,
  ProgramRetryRequestedPayload,
  RetryResults,
  StageCounts,
} from '../events/catalogue';
import { EventBus } from '../events/event-bus';
import { MetricsService } from '../metrics/metrics.service';
import { ProgramBusyError, ProgramNotFoundError, RetryCapacityError } from './errors/program.errors';
import { ProgramLockRepository } from './lock/program-lock.repository';
import { FileOutcome, OutcomeTracker } from './outcome-tracker';
import { ClaimedFile, ProgramFilesRepository } from './program-files.repository';
import { ProgramSummaryService } from './program-summary.service';
import type { FailureStage, RetryType } from './program.types';
import { ProgramsRepository } from './programs.repository';

const STAGES: Record<RetryType, FailureStage[]> = {
  preprocessing: ['preprocessing'],
  document: ['document'],
  all: ['preprocessing', 'document'],
};

// A retry usually takes seconds; asking the client back after a couple of them is about right.
const RETRY_AFTER_SECONDS = 2;

// Document failures that only a new processed JSON can cure: retry_type=all preprocesses them again.
const NEEDS_NEW_JSON = new Set(['PROCESSED_JSON_MISSING', 'PROCESSED_JSON_INVALID']);

export const emptyResults = (): RetryResults => ({
  preprocessing: { retried: 0, success: 0, failed: 0 },
  document: { retried: 0, success: 0, failed: 0 },
});

/**
 * Retries a program's failed files under its row lock (manual: NOWAIT → 409; scheduled:
 * SKIP LOCKED → skipped), counts the outcomes as the seed's retry response does, and records the
 * run in retry_history.
 */
@Injectable()
export class ProgramRetryService implements OnModuleDestroy {
  private readonly logger = new Logger(ProgramRetryService.name);
  private readonly stopping = new AbortController();
  private readonly inflight = new Set<Promise<unknown>>();
  private manualRunning = 0;

  constructor(
    private readonly programs: ProgramsRepository,
    private readonly files: ProgramFilesRepository,
    private readonly summary: ProgramSummaryService,
    private readonly locks: ProgramLockRepository,
    private readonly tracker: OutcomeTracker,
    private readonly bus: EventBus,
    private readonly metrics: MetricsService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** Stop taking files; retries in flight finish the files they started and record their run. */
  async onModuleDestroy(): Promise<void> {
    this.stopping.abort();
    await Promise.allSettled([...this.inflight]);
  }

  async retry(req: ProgramRetryRequestedPayload): Promise<RetryResults | null> {
    const run = this.run(req);
    this.inflight.add(run);
    try {
      return await run;
    } finally {
      this.inflight.delete(run);
    }
  }

  private async run(req: ProgramRetryRequestedPayload): Promise<RetryResults | null> {
    const manual = req.trigger === 'manual';
    // Status first, without the lock: taking the lock of a program whose first run is about to
    // start would make that run skip it as "held by someone else".
    const before = await this.programs.findById(req.programId);
    if (!before) throw new ProgramNotFoundError();
    if (unsettled(before.status)) {
      if (manual) throw this.busy(req.programId);
      return null;
    }
    const lease = await this.locks.tryAcquire(req.programId, manual ? 'nowait' : 'skip-locked');
    if (!lease) {
      if (manual) throw this.busy(req.programId);
      return null;
    }
    // Capacity counts retries that hold a lock (and its connection), so a retry of a busy program
    // still answers 409 PROGRAM_BUSY, whatever else runs here. Checked and counted with no await in
    // between, so the cap cannot be overrun.
    const limit = this.config.retry.maxConcurrentManual;
    if (manual && this.manualRunning >= limit) {
      await lease.release();
      throw new RetryCapacityError(limit, RETRY_AFTER_SECONDS);
    }
    if (manual) this.manualRunning++;
    try {
      // A settled program never goes back to pending or processing; read again where it is authoritative.
      const program = await this.programs.findById(req.programId);
      if (!program) throw new ProgramNotFoundError();
      if (unsettled(program.status)) {
        if (manual) throw this.busy(req.programId);
        return null;
      }
      const due = manual ? undefined : { dueBy: new Date(req.dueBy!), maxAttempts: req.maxAttempts! };
      const claimed = await this.files.failedForRetry(req.programId, STAGES[req.retryType], due);
      if (!manual && claimed.length === 0) return null;

      const results = emptyResults();
      const stop = AbortSignal.any([lease.signal, this.stopping.signal]);
      await forEachBounded(claimed, this.config.processing.concurrency, stop, (file) =>
        this.retryFile(req, file, results),
      );
      await this.programs.insertRetryRun(req.programId, req.retryType, req.trigger, results);
      this.metrics.retryFinished(req.trigger, results);
      await this.summary.refresh(req.programId, program.total_files, 'retry');
      this.logger.log(
        {
          program_id: req.programId,
          correlation_id: req.correlationId,
          trigger: req.trigger,
          retry_type: req.retryType,
          files: claimed.length,
          results,
        },
        `program ${req.programId} ${req.trigger} retry done`,
      );
      return results;
    } finally {
      if (manual) this.manualRunning--;
      await lease.release();
    }
  }

  private busy(programId: string): ProgramBusyError {
    this.metrics.lockConflict();
    return new ProgramBusyError(programId);
  }

  /**
   * One file, counted the seed's way: an attempt at preprocessing counts under `preprocessing`; if
   * it reaches Document storage that attempt counts under `document`.
   */
  private async retryFile(req: ProgramRetryRequestedPayload, file: ClaimedFile, r: RetryResults): Promise<void> {
    const ref: FileRef = {
      programId: req.programId,
      sourceIndex: file.source_index,
      sourceFilePath: file.source_file_path,
      attempt: file.retry_count + 1,
      ...meta(req.correlationId),
    };
    if (file.state === 'document_failed') {
      const s3Path = file.processed_s3_path ?? s3Uri(this.config.s3.bucket, processedKey(req.programId, file.source_index));
      const outcome = await this.attempt(ref, new DocumentRetryRequestedEvent({ ...ref, s3Path }));
      const remake = req.retryType === 'all' && outcome?.state === 'document_failed' && NEEDS_NEW_JSON.has(outcome.errorCode);
      if (!remake) {
        tally(r.document, outcome?.state === 'done');
        return;
      }
    }
    r.preprocessing.retried++;
    const outcome = await this.attempt(ref, new FileProcessingRequestedEvent(ref));
    if (!outcome || outcome.state === 'preprocessing_failed') {
      r.preprocessing.failed++;
      return;
    }
    r.preprocessing.success++;
    tally(r.document, outcome.state === 'done');
  }

  /** Sends the file down the pipeline; undefined when its outcome could not be recorded (database gone). */
  private async attempt(ref: FileRef, event: BusEvent): Promise<FileOutcome | undefined> {
    this.tracker.watch(ref.programId, ref.sourceIndex);
    try {
      await this.metrics.track(() => this.bus.publish(event));
    } catch (e) {
      this.logger.warn(`program ${ref.programId} file ${ref.sourceIndex}: retry not recorded: ${(e as Error).message}`);
    }
    return this.tracker.take(ref.programId, ref.sourceIndex);
  }
}

/** Until the first run has finished, its own pass owns every file. */
const unsettled = (status: string): boolean => status === 'pending' || status === 'processing';

function tally(counts: StageCounts, success: boolean): void {
  counts.retried++;
  if (success) counts.success++;
  else counts.failed++;
}
