import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { CommandBus, EventBus, QueryBus } from '@nestjs/cqrs';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { Clock } from '../../common/clock';
import { forEachBounded } from '../../common/concurrency';
import { Lifecycle } from '../../common/lifecycle';
import { PollLoop } from '../../common/poll-loop';
import { processedKey, s3Uri } from '../../common/processed-json';
import type { AppConfig } from '../../config/app-config';
import { APP_CONFIG } from '../../config/config.module';
import { isConnectionError, logMessage } from '../../database/sql';
import { LoadProcessedJsonCommand } from '../../documents/commands/load-processed-json.command';
import { StoreDocumentCommand } from '../../documents/commands/store-document.command';
import { DocumentOfFileQuery } from '../../documents/queries/document-of-file.query';
import { FileSettledEvent, type FileRef, type ProcessedFileSummary } from '../../events/catalogue';
import { MetricsService } from '../../metrics/metrics.service';
import { PreprocessFileCommand } from '../../preprocessing/commands/preprocess-file.command';
import { ClaimedFile, ProgramFilesRepository } from '../program-files.repository';
import { ProgramSummaryService } from '../program-summary.service';
import { ProgramsRepository } from '../programs.repository';
import { BudgetWatch } from './budget-watch';
import { FileOutcome, needsNewJson } from './file-outcome';
import { ProgramSettler } from './program-settler';

// How often an idle replica looks for programs with work (a replica that queues work here wakes at
// once; work queued elsewhere is found within this).
const POLL_MS = 500;
const PROGRESS_REFRESH_MS = 2_000;
// About every 5 s at the idle poll rate.
const ORPHAN_SCAN_EVERY_POLLS = 10;

interface HeldFile {
  file: ClaimedFile;
  /** Aborted when the lease is lost: the work stops early (its outcome would be fenced anyway). */
  lost: AbortController;
  started: boolean;
}

/**
 * Works the files of any program, on every replica (docs/locking.md): claims batches of unsettled
 * files under a lease with a fencing epoch, renews the leases while it works, runs each file
 * through the commands of the other modules, and records each outcome only if its lease still
 * holds. Whoever records a program's last file settles the program, once. Nothing is held in
 * memory that the database does not also know: a replica that dies leaves leases that expire.
 */
@Injectable()
export class FileWorker implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(FileWorker.name);
  /** This replica's name on its leases. */
  readonly owner = `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
  private readonly drains = new Map<string, Promise<void>>();
  private readonly held = new Map<string, HeldFile>();
  private readonly stopping = new AbortController();
  private readonly loop = new PollLoop(
    POLL_MS,
    () => this.fillSlots(),
    (e) => {
      const level = isConnectionError(e) ? 'warn' : 'error';
      this.logger[level](`looking for work failed: ${logMessage(e)}`);
    },
  );
  private polls = 0;
  private renewals?: NodeJS.Timeout;
  private lastRenewal = Date.now();

  constructor(
    private readonly files: ProgramFilesRepository,
    private readonly programs: ProgramsRepository,
    private readonly summary: ProgramSummaryService,
    private readonly settler: ProgramSettler,
    private readonly budgets: BudgetWatch,
    private readonly commands: CommandBus,
    private readonly queries: QueryBus,
    private readonly events: EventBus,
    private readonly metrics: MetricsService,
    private readonly lifecycle: Lifecycle,
    private readonly clock: Clock,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.loop.start();
    this.renewals = setInterval(() => void this.renew(), Math.max(100, Math.floor(this.config.work.leaseTtlMs / 3)));
  }

  /** Work was queued here (a program created, a retry's files queued): look now, not at the next poll. */
  kick(): void {
    this.loop.kick();
  }

  /**
   * Stop claiming; files in flight finish (bounded by SHUTDOWN_GRACE_MS in main.ts); files claimed
   * but not started are handed back at once, so another replica need not wait for their leases.
   */
  async onModuleDestroy(): Promise<void> {
    this.stopping.abort();
    await this.loop.stop();
    await Promise.allSettled([...this.drains.values()]);
    // A drain's last outcomes may have started a budget check that is still counting.
    await this.budgets.idle();
    clearInterval(this.renewals);
  }

  private async fillSlots(): Promise<void> {
    if (this.lifecycle.shuttingDown || this.stopping.signal.aborted) return;
    // Programs whose last file was settled by a replica that died before settling the program: a
    // rare leftover, looked for now and then rather than at every poll.
    if (++this.polls % ORPHAN_SCAN_EVERY_POLLS === 1) {
      for (const programId of await this.programs.runningWithoutWork(10)) await this.settleIfDone(programId);
    }
    const free = this.config.programsInParallel - this.drains.size;
    // Every slot busy: nothing to look for until one frees (a finishing drain kicks the loop).
    if (free <= 0) return;
    const candidates = await this.files.programsWithClaimableFiles(this.config.programsInParallel * 4);
    for (const programId of candidates) {
      if (this.drains.size >= this.config.programsInParallel) break;
      if (this.drains.has(programId)) continue;
      const drain = this.drain(programId)
        .catch((e: unknown) => {
          const level = isConnectionError(e) ? 'warn' : 'error';
          this.logger[level](`program ${programId}: ${logMessage(e)}`);
        })
        .finally(() => {
          this.drains.delete(programId);
          // A slot is free: look for the next program now.
          this.kick();
        });
      this.drains.set(programId, drain);
    }
  }

  /** Works one program's claimable files until none is left for this replica, then tries to settle it. */
  private async drain(programId: string): Promise<void> {
    const draining = new AbortController();
    const progress = this.reportProgress(programId, draining.signal);
    await this.budgets.begin(programId, () => {
      for (const h of this.held.values()) if (h.file.program_id === programId) h.lost.abort();
    });
    try {
      await forEachBounded(this.claims(programId), this.config.processing.concurrency, this.stopping.signal, (held) =>
        this.metrics.track(() => this.work(held)),
      );
    } finally {
      // Claimed but never started (a shutdown): handed back rather than left to expire.
      const unstarted = [...this.held.values()].filter((h) => h.file.program_id === programId && !h.started);
      for (const h of unstarted) this.held.delete(key(h.file));
      if (unstarted.length > 0)
        await this.files
          .releaseLeases(
            this.owner,
            unstarted.map((h) => h.file),
          )
          .catch(() => undefined);
      draining.abort();
      this.budgets.end(programId);
      await progress;
    }
    await this.settleIfDone(programId);
  }

  /** Claimed files, one batch at a time: the next batch is claimed only when this one is all started. */
  private async *claims(programId: string): AsyncGenerator<HeldFile> {
    let first = true;
    while (!this.stopping.signal.aborted && !this.lifecycle.shuttingDown) {
      const batch = await this.files.claim(
        programId,
        this.owner,
        this.config.work.claimBatchSize,
        this.config.work.leaseTtlMs,
        { markProcessing: first },
      );
      first = false;
      if (batch.length === 0) return;
      const held = batch.map((file) => ({ file, lost: new AbortController(), started: false }));
      for (const h of held) this.held.set(key(h.file), h);
      yield* held;
    }
  }

  /** One pass of a file through the pipeline, its outcome recorded under its lease. */
  private async work(held: HeldFile): Promise<void> {
    held.started = true;
    const { file } = held;
    const startedAt = new Date();
    try {
      if (held.lost.signal.aborted) return;
      const outcome = await this.honourStoredDocument(file, await this.attempt(file));
      if (outcome.kind === 'fenced') {
        this.fenced(file);
        return;
      }
      const recorded = await this.files.recordOutcome(file, outcome, startedAt, this.clock.now(), this.config.retry);
      if (!recorded) {
        this.fenced(file);
        return;
      }
      if (file.run_id === null) this.budgets.observe(file.program_id, outcome.kind !== 'done');
      this.events.publish(
        new FileSettledEvent(
          file.program_id,
          file.source_index,
          file.run_trigger ?? 'initial',
          outcome.entryStage,
          outcome.stage,
          outcome.kind === 'done' ? undefined : outcome.errorCode,
        ),
      );
    } catch (e) {
      // The outcome could not be recorded (the database is gone): the lease runs out and the file
      // is worked again, by this replica or another. Nothing half-written stays behind.
      const level = isConnectionError(e) ? 'warn' : 'error';
      this.logger[level](`program ${file.program_id} file ${file.source_index} unsettled: ${logMessage(e)}`);
    } finally {
      this.held.delete(key(file));
    }
  }

  /**
   * Done is never undone: a failed pass over a file that has a Document is recorded as done. A
   * holder whose lease ran out between storing the Document and recording it leaves exactly that
   * (the Document is there, the file is worked again); if this pass then fails — the source was
   * deleted meanwhile — the file must still count as done, with its Document. Asked on failures
   * only, which are rare, so the success path pays nothing.
   */
  private async honourStoredDocument(file: ClaimedFile, outcome: FileOutcome): Promise<FileOutcome> {
    if (outcome.kind !== 'failed') return outcome;
    const doc = await this.queries.execute(new DocumentOfFileQuery(file.program_id, file.source_index));
    if (!doc) return outcome;
    return { kind: 'done', entryStage: outcome.entryStage, stage: 'document', s3Path: doc.s3Path, documentId: doc.id };
  }

  private async attempt(file: ClaimedFile): Promise<FileOutcome> {
    const ref: FileRef = {
      programId: file.program_id,
      sourceIndex: file.source_index,
      sourceFilePath: file.source_file_path,
      correlationId: `${file.run_id ? `run-${file.run_id}` : 'initial'}:${file.program_id}`,
    };
    if (file.resume_from) {
      const s3Path =
        file.processed_s3_path ?? s3Uri(this.config.s3.bucket, processedKey(file.program_id, file.source_index));
      const loaded = await this.commands.execute(
        new LoadProcessedJsonCommand(file.program_id, file.source_index, s3Path),
      );
      if (loaded.ok) return this.store(ref, file, loaded.fields, 'document');
      if (!(file.resume_from === 'document_or_remake' && needsNewJson(loaded.errorCode))) {
        return {
          kind: 'failed',
          entryStage: 'document',
          stage: 'document',
          errorCode: loaded.errorCode,
          error: loaded.error,
          retryable: true,
          s3Path,
        };
      }
      // retry_type=all: a processed JSON that is missing or invalid is made again.
    }
    const pre = await this.metrics.timeStage(
      'preprocessing',
      () => this.commands.execute(new PreprocessFileCommand(ref)),
      (r) => !r.ok,
      ref,
    );
    if (!pre.ok) {
      return {
        kind: 'failed',
        entryStage: 'preprocessing',
        stage: 'preprocessing',
        errorCode: pre.errorCode,
        error: pre.error,
        retryable: pre.retryable,
      };
    }
    return this.store(ref, file, pre, 'preprocessing');
  }

  private async store(
    ref: FileRef,
    file: ClaimedFile,
    fields: ProcessedFileSummary,
    entryStage: 'preprocessing' | 'document',
  ): Promise<FileOutcome> {
    const stored = await this.metrics.timeStage(
      'document',
      () => this.commands.execute(new StoreDocumentCommand(ref, file.epoch, fields)),
      (r) => !r.ok,
      ref,
    );
    if (stored.ok)
      return { kind: 'done', entryStage, stage: 'document', s3Path: fields.s3Path, documentId: stored.documentId };
    if (stored.fenced) return { kind: 'fenced' };
    return {
      kind: 'failed',
      entryStage,
      stage: 'document',
      errorCode: stored.errorCode,
      error: stored.error,
      retryable: true,
      s3Path: fields.s3Path,
    };
  }

  private fenced(file: ClaimedFile): void {
    this.metrics.fencedWrite();
    this.logger.warn(
      `program ${file.program_id} file ${file.source_index}: lease lost (epoch ${file.epoch}); outcome not written`,
    );
  }

  /**
   * Every LEASE_TTL_MS / 3: one statement renews every lease this replica holds. A file whose lease
   * was taken over is lost: its work stops. A renewal that fails, for longer than a lease lasts,
   * loses them all — they may be someone else's by now.
   */
  private async renew(): Promise<void> {
    if (this.held.size === 0) {
      this.lastRenewal = Date.now();
      return;
    }
    const held = [...this.held.values()];
    try {
      const kept = await this.files.renewLeases(
        this.owner,
        held.map((h) => h.file),
        this.config.work.leaseTtlMs,
      );
      this.lastRenewal = Date.now();
      for (const h of held) if (!kept.has(key(h.file))) h.lost.abort();
    } catch (e) {
      this.logger.warn(`lease renewal failed: ${logMessage(e)}`);
      if (Date.now() - this.lastRenewal > this.config.work.leaseTtlMs) for (const h of held) h.lost.abort();
    }
  }

  private settleIfDone(programId: string): Promise<void> {
    return this.settler.settleIfDone(programId);
  }

  /** While this replica works a program's first run, its metadata_json shows progress every 2 s. */
  private async reportProgress(programId: string, until: AbortSignal): Promise<void> {
    const program = await this.programs.findById(programId).catch(() => undefined);
    if (!program || (program.status !== 'pending' && program.status !== 'processing')) return;
    for (;;) {
      await delay(PROGRESS_REFRESH_MS, until);
      if (until.aborted) return;
      await this.summary.refresh(programId, program.total_files, 'progress').catch((e: Error) => {
        this.logger.warn(`progress refresh of ${programId} failed: ${e.message}`);
      });
    }
  }
}

const key = (f: { program_id: string; source_index: number }): string => `${f.program_id}:${f.source_index}`;

function delay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const t = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}
