import { Inject, Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { CommandBus, EventBus, QueryBus } from '@nestjs/cqrs';
import type { AppConfig } from '../../config/app-config';
import { APP_CONFIG } from '../../config/config.module';
import {
  FilesQueuedEvent,
  RetryFinishedEvent,
  RetryResults,
  RetryTriggerName,
  RetryTypeName,
} from '../../events/catalogue';
import { MetricsService } from '../../metrics/metrics.service';
import { RefreshSummaryCommand } from '../../programs/commands/refresh-summary.command';
import { RequeueFailedFilesCommand } from '../../programs/commands/requeue-failed-files.command';
import { ProgramStatusQuery } from '../../programs/queries/program-status.query';
import { RunAttemptsQuery, RunUnsettledFilesQuery } from '../../programs/queries/run-progress.query';
import {
  ProgramBusyError,
  ProgramNotFoundError,
  RetryCapacityError,
  RetryInterruptedError,
} from '../errors/retry.errors';
import { ProgramLockRepository } from '../lock/program-lock.repository';
import { RetryRunsRepository } from '../retry-runs.repository';
import type { RetrySelection } from '../dto/retry-selection';
import { tallyAttempts } from '../tally.policy';

const STAGES = {
  preprocessing: ['preprocessing'],
  document: ['document'],
  all: ['preprocessing', 'document'],
} as const;

// A retry usually takes seconds; asking the client back after a couple of them is about right.
const RETRY_AFTER_SECONDS = 2;
// How often the holder looks whether its run's files are all settled (one indexed count).
const WAIT_POLL_MS = 100;

export interface RetryRequest {
  programId: string;
  retryType: RetryTypeName;
  trigger: RetryTriggerName;
  /** Scheduled rounds: only what is due by then, within the automatic attempts. */
  due?: { dueBy: Date; maxAttempts: number };
  /** A selected manual retry: only these failed files. */
  selection?: RetrySelection;
}

export interface RetryRunResult {
  runId: string;
  results: RetryResults;
  skipped: number;
}

/** A run that has begun: its files are queued; `done` settles when they all have. */
export interface StartedRetry {
  runId: string;
  skipped: number;
  done: Promise<RetryRunResult>;
}

/** Until the first run has settled, its files belong to it. */
const firstRunGoingOn = (status: string): boolean => status === 'pending' || status === 'processing';

/**
 * One retry, manual or scheduled (docs/locking.md): under the program's row lock (NOWAIT → 409
 * for an operator, SKIP LOCKED → skipped by the scheduler) it records a run, queues the chosen
 * failed files under it, waits while the workers of every replica settle them, tallies the seed's
 * counts from the attempts they recorded, and ends the run. If this holder dies, the files settle
 * all the same and the run is marked `interrupted` by whoever notices (InterruptedRuns).
 */
@Injectable()
export class RunRetry implements OnModuleDestroy {
  private readonly logger = new Logger(RunRetry.name);
  private readonly stopping = new AbortController();
  private manualRunning = 0;

  constructor(
    private readonly runs: RetryRunsRepository,
    private readonly locks: ProgramLockRepository,
    private readonly commands: CommandBus,
    private readonly queries: QueryBus,
    private readonly events: EventBus,
    private readonly metrics: MetricsService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** Holders stop waiting; their runs are left `running`, to be ended by whoever notices. */
  onModuleDestroy(): void {
    this.stopping.abort();
  }

  /** The run and its counts; null when a scheduled retry found the program held or nothing due. */
  async run(req: RetryRequest): Promise<RetryRunResult | null> {
    const started = await this.start(req);
    return started ? started.done : null;
  }

  /**
   * Begins a run: takes the lock, records the run and queues its files, then answers; the rest
   * (waiting for the files, tallying, ending the run, releasing the lock) goes on in `done`. Null
   * when a scheduled retry found the program held or nothing due.
   */
  async start(req: RetryRequest): Promise<StartedRetry | null> {
    const manual = req.trigger === 'manual';
    // Status first, without the lock: a first run that has not settled owns every file.
    const before = await this.queries.execute(new ProgramStatusQuery(req.programId));
    if (!before) throw new ProgramNotFoundError();
    if (firstRunGoingOn(before.status)) return this.refuse(manual, req.programId);
    const lease = await this.locks.tryAcquire(req.programId, manual ? 'nowait' : 'skip-locked');
    if (!lease) return this.refuse(manual, req.programId);
    // Capacity counts retries that hold a lock (and its connection), so a retry of a busy program
    // still answers 409 first. Checked and counted with no await in between: the cap holds.
    const limit = this.config.retry.maxConcurrentManual;
    if (manual && this.manualRunning >= limit) {
      await lease.release();
      throw new RetryCapacityError(limit, RETRY_AFTER_SECONDS);
    }
    if (manual) this.manualRunning++;
    const release = async () => {
      if (manual) this.manualRunning--;
      await lease.release();
    };
    let begun: { runId: string; queued: number; skipped: number } | null;
    try {
      begun = await this.begin(req, manual);
    } catch (e) {
      await release();
      throw e;
    }
    if (!begun) {
      await release();
      return null;
    }
    const { runId, queued, skipped } = begun;
    const done = this.finish(req, runId, queued, skipped, lease.signal).finally(release);
    return { runId, skipped, done };
  }

  private async begin(
    req: RetryRequest,
    manual: boolean,
  ): Promise<{ runId: string; queued: number; skipped: number } | null> {
    const program = await this.queries.execute(new ProgramStatusQuery(req.programId));
    if (!program) throw new ProgramNotFoundError();
    if (firstRunGoingOn(program.status)) return this.refuse(manual, req.programId);

    const runId = await this.runs.start(req.programId, req.retryType, req.trigger);
    const queued = await this.commands.execute(
      new RequeueFailedFilesCommand({
        programId: req.programId,
        runId,
        trigger: req.trigger,
        retryType: req.retryType,
        stages: [...STAGES[req.retryType]],
        due: req.due,
        indexes: req.selection?.indexes,
        errorCodes: req.selection?.errorCodes,
      }),
    );
    if (!manual && queued === 0) {
      await this.runs.discard(runId);
      return null;
    }
    // Selected indexes that were not failed files of the chosen stages (or do not exist).
    const skipped = req.selection?.indexes ? req.selection.indexes.length - queued : 0;
    if (skipped > 0) await this.runs.recordSkipped(runId, skipped);
    if (queued > 0) this.events.publish(new FilesQueuedEvent(req.programId));
    return { runId, queued, skipped };
  }

  private async finish(
    req: RetryRequest,
    runId: string,
    queued: number,
    skipped: number,
    lockLost: AbortSignal,
  ): Promise<RetryRunResult> {
    const stop = AbortSignal.any([lockLost, this.stopping.signal]);
    await this.waitForFiles(runId, stop);
    if (stop.aborted) throw new RetryInterruptedError();

    const results = tallyAttempts(await this.queries.execute(new RunAttemptsQuery(runId)));
    // Summary first, then the run's end: see RefreshSummaryCommand.
    // Ours and running: only the holder of the program lock ends a run, and that is this call.
    const entry = await this.runs.entryOf(runId, results);
    if (!entry) throw new Error(`retry run ${runId} ended while its holder still held the program lock`);
    await this.commands.execute(new RefreshSummaryCommand(req.programId, entry));
    await this.runs.end(runId, 'finished', results);
    this.events.publish(new RetryFinishedEvent(req.programId, runId, req.trigger, 'finished', results));
    this.logger.log(
      {
        program_id: req.programId,
        run_id: runId,
        trigger: req.trigger,
        retry_type: req.retryType,
        files: queued,
        skipped,
        results,
      },
      `program ${req.programId} ${req.trigger} retry done`,
    );
    return { runId, results, skipped };
  }

  private refuse(manual: boolean, programId: string): null {
    if (!manual) return null;
    this.metrics.lockConflict();
    throw new ProgramBusyError(programId);
  }

  private async waitForFiles(runId: string, stop: AbortSignal): Promise<void> {
    while (!stop.aborted) {
      if ((await this.queries.execute(new RunUnsettledFilesQuery(runId))) === 0) return;
      await new Promise<void>((resolve) => {
        const t = setTimeout(done, WAIT_POLL_MS);
        function done() {
          clearTimeout(t);
          stop.removeEventListener('abort', done);
          resolve();
        }
        stop.addEventListener('abort', done, { once: true });
      });
    }
  }
}
