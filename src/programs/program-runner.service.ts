import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import pLimit from 'p-limit';
import { randomUUID } from 'node:crypto';
import { forEachBounded } from '../common/concurrency';
import { Lifecycle } from '../common/lifecycle';
import type { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { isConnectionError } from '../database/sql';
import { meta } from '../events/bus-event';
import { FileProcessingRequestedEvent } from '../events/catalogue';
import { EventBus } from '../events/event-bus';
import { MetricsService } from '../metrics/metrics.service';
import { ProgramLease, ProgramLockRepository } from './lock/program-lock.repository';
import { ProgramFilesRepository } from './program-files.repository';
import { ProgramSummaryService } from './program-summary.service';
import { ProgramsRepository } from './programs.repository';

const PAGE_SIZE = 500;
const PROGRESS_REFRESH_MS = 2_000;
// When recording an outcome fails (the database went away), passes are repeated this many times
// with growing pauses before the program is left to recovery.
const MAX_PASSES = 4;

/**
 * Runs a program's unsettled files through the pipeline under the program's row lock. Files are
 * read from PostgreSQL page by page, so a run (first or resumed) only ever does what is left.
 */
@Injectable()
export class ProgramRunner implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(ProgramRunner.name);
  // Programs worked on at once by one replica; each has PROCESSING_CONCURRENCY files in flight.
  private readonly programSlots: ReturnType<typeof pLimit>;
  private readonly queued = new Set<string>();
  private readonly running = new Map<string, Promise<void>>();
  private readonly stopping = new AbortController();

  constructor(
    private readonly programs: ProgramsRepository,
    private readonly files: ProgramFilesRepository,
    private readonly summary: ProgramSummaryService,
    private readonly locks: ProgramLockRepository,
    private readonly bus: EventBus,
    private readonly metrics: MetricsService,
    private readonly lifecycle: Lifecycle,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    this.programSlots = pLimit(config.programsInParallel);
  }

  /** Resume what a previous process left unfinished (a crash, a deploy). */
  async onApplicationBootstrap(): Promise<void> {
    await this.resumeUnfinished();
  }

  async resumeUnfinished(): Promise<number> {
    const ids = await this.programs.unfinishedIds(1000);
    for (const id of ids) this.enqueue(id, `recovery-${randomUUID()}`);
    if (ids.length > 0) this.logger.log(`resuming ${ids.length} unfinished program(s)`);
    return ids.length;
  }

  /** Queues a program; a program already queued or running here is not queued twice. */
  enqueue(programId: string, correlationId: string): void {
    if (this.stopping.signal.aborted || this.lifecycle.shuttingDown || this.queued.has(programId)) return;
    this.queued.add(programId);
    const run = this.programSlots(() => this.runOnce(programId, correlationId))
      .catch((e: unknown) => {
        this.logger.error(`program ${programId} run failed: ${(e as Error).message}`, (e as Error).stack);
      })
      .finally(() => {
        this.queued.delete(programId);
        this.running.delete(programId);
      });
    this.running.set(programId, run);
  }

  /** Stop taking work; files in flight finish (or stay unsettled for the next holder); locks are released. */
  async onModuleDestroy(): Promise<void> {
    this.stopping.abort();
    this.programSlots.clearQueue();
    await Promise.allSettled([...this.running.values()]);
  }

  private async runOnce(programId: string, correlationId: string): Promise<void> {
    if (this.stopping.signal.aborted) return;
    const program = await this.programs.findById(programId);
    if (!program || (program.status !== 'pending' && program.status !== 'processing')) return;
    // SKIP LOCKED: if another worker or replica holds the program it is in good hands already.
    const lease = await this.locks.tryAcquire(programId, 'skip-locked');
    if (!lease) return;
    const started = Date.now();
    try {
      await this.programs.markProcessing(programId);
      const status = await this.work(program.id, program.total_files, correlationId, lease);
      const took = Date.now() - started;
      if (status) {
        this.metrics.programSettled(status, took / 1000);
        this.logger.log(
          { program_id: programId, correlation_id: correlationId, status, files: program.total_files, ms: took },
          `program ${programId} ${status}`,
        );
      }
      else
        this.logger.warn(
          { program_id: programId, correlation_id: correlationId, ms: took },
          `program ${programId} left unfinished; recovery will resume it`,
        );
    } finally {
      await lease.release();
    }
  }

  private async work(programId: string, totalFiles: number, correlationId: string, lease: ProgramLease) {
    const stop = AbortSignal.any([lease.signal, this.stopping.signal]);
    const passesDone = new AbortController();
    // One progress write at a time, each awaited, and none after the passes end: a late progress
    // write must never land on top of the final summary.
    const progress = this.reportProgress(programId, totalFiles, AbortSignal.any([stop, passesDone.signal]));
    try {
      for (let pass = 1; pass <= MAX_PASSES && !stop.aborted; pass++) {
        const unsettled = await this.pass(programId, correlationId, stop);
        if (unsettled === 0) break;
        this.logger.warn(`program ${programId}: ${unsettled} file(s) unsettled after pass ${pass}`);
        await delay(500 * 2 ** pass, stop);
      }
    } finally {
      passesDone.abort();
      await progress;
    }
    if (lease.signal.aborted) return undefined;
    return this.summary.refresh(programId, totalFiles, 'settle');
  }

  private async reportProgress(programId: string, totalFiles: number, until: AbortSignal): Promise<void> {
    for (;;) {
      await delay(PROGRESS_REFRESH_MS, until);
      if (until.aborted) return;
      await this.summary.refresh(programId, totalFiles, 'progress').catch((e: Error) => {
        this.logger.warn(`progress refresh of ${programId} failed: ${e.message}`);
      });
    }
  }

  /** One sweep over the pending files; returns how many could not be settled (their outcome not recorded). */
  private async pass(programId: string, correlationId: string, stop: AbortSignal): Promise<number> {
    let unsettled = 0;
    await forEachBounded(this.pendingFiles(programId, stop), this.config.processing.concurrency, stop, async (file) => {
      const event = new FileProcessingRequestedEvent({
        programId,
        sourceIndex: file.source_index,
        sourceFilePath: file.source_file_path,
        attempt: file.retry_count,
        ...meta(correlationId),
      });
      try {
        await this.metrics.track(() => this.bus.publish(event));
      } catch (e) {
        unsettled++;
        const level = isConnectionError(e) ? 'warn' : 'error';
        this.logger[level](`program ${programId} file ${file.source_index} unsettled: ${(e as Error).message}`);
      }
    });
    return unsettled;
  }

  /** Pending files page by page (keyset on source_index): a program is never held in memory whole. */
  private async *pendingFiles(programId: string, stop: AbortSignal) {
    let after = -1;
    while (!stop.aborted) {
      const page = await this.files.openFiles(programId, 'pending', after, PAGE_SIZE);
      if (page.length === 0) return;
      yield* page;
      after = page[page.length - 1].source_index;
    }
  }
}

function delay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
