import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { Piscina } from 'piscina';
import type { AppConfig } from '../../config/app-config';
import { APP_CONFIG } from '../../config/config.module';
import { PreprocessingError } from '../errors/preprocessing.error';
import type { PreprocessOutcome, PreprocessTask, ProcessedSummary, RestampOutcome, RestampTask } from './pipeline';

// Heap a single extraction may use; a file that needs more is refused, the process is unharmed.
const WORKER_HEAP_MB = 384;
// Files waiting for a thread. Callers bound what they have in flight (PROCESSING_CONCURRENCY per
// program, a few programs per replica), so this is never reached in normal work; it is the backstop
// that turns a runaway caller into a clear, retryable error instead of unbounded memory.
const MAX_QUEUED = 4096;

/**
 * The compiled worker. Under jest the code runs from src/ (TypeScript), which a worker thread cannot
 * load, so the build output is used (`npm test` builds first).
 */
function workerFile(): string {
  const here = join(__dirname, 'extract.worker.js');
  if (existsSync(here)) return here;
  const root = resolve(__dirname, '..', '..', '..');
  const built = join(root, 'dist', relative(join(root, 'src'), __dirname), 'extract.worker.js');
  if (!existsSync(built)) throw new Error(`extraction worker not found at ${built}: run npm run build`);
  return built;
}

/**
 * Every parse of untrusted bytes happens here, never on the thread that serves HTTP: detection,
 * extraction, normalising, chunking and serialising all run in worker threads, so a hostile file
 * can cost at most one thread's time (the per-file timeout terminates it) and heap.
 */
@Injectable()
export class ExtractionPool implements OnApplicationShutdown {
  private readonly logger = new Logger(ExtractionPool.name);
  private readonly pool: Piscina<PreprocessTask | RestampTask, PreprocessOutcome | RestampOutcome>;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    // Extraction is CPU-bound: more threads than cores only adds memory.
    const threads = Math.max(1, Math.min(config.processing.concurrency, availableParallelism()));
    this.pool = new Piscina({
      filename: workerFile(),
      // Every thread from boot: a thread started on demand loads the extractors while files queue
      // behind the first one, which was most of a small program's first second.
      minThreads: threads,
      maxThreads: threads,
      maxQueue: MAX_QUEUED,
      idleTimeout: 30_000,
      // Run/wait-time histograms nobody reads, recorded twice per file on the coordinating thread.
      recordTiming: false,
      // A young generation of 16 MB: the objects of one file die young at any size that holds a
      // file in flight, and 32 MB per thread was held for good once a long program had grown it.
      resourceLimits: { maxOldGenerationSizeMb: WORKER_HEAP_MB, maxYoungGenerationSizeMb: 16, stackSizeMb: 4 },
    });
  }

  /**
   * The processed JSON (serialised) and its summary; `signal` (the per-file timeout) terminates the
   * worker mid-work. Throws PreprocessingError for anything wrong with the file.
   */
  async preprocess(
    task: PreprocessTask,
    signal: AbortSignal,
  ): Promise<{ json: Uint8Array; summary: ProcessedSummary }> {
    const outcome = await this.inWorker(task, signal);
    if (!outcome.ok) throw new PreprocessingError(outcome.code, outcome.message);
    return outcome;
  }

  /** An earlier identical file's processed JSON made this file's; undefined when it is not reusable. */
  async restamp(
    task: RestampTask,
    signal: AbortSignal,
  ): Promise<{ json: Uint8Array; summary: ProcessedSummary } | undefined> {
    const outcome = (await this.inWorker(task, signal)) as RestampOutcome | PreprocessOutcome;
    return outcome.ok === true ? outcome : undefined;
  }

  private async inWorker<T extends PreprocessTask | RestampTask>(
    task: T,
    signal: AbortSignal,
  ): Promise<T extends RestampTask ? RestampOutcome : PreprocessOutcome> {
    try {
      return (await this.pool.run(task, { signal })) as T extends RestampTask ? RestampOutcome : PreprocessOutcome;
    } catch (e) {
      if (signal.aborted) throw signal.reason ?? e;
      const code = (e as { code?: string }).code;
      if (code === 'ERR_WORKER_OUT_OF_MEMORY') {
        throw new PreprocessingError('CORRUPT_FILE', `extraction needed more than ${WORKER_HEAP_MB} MB of memory`);
      }
      // Not the file's fault (a worker died, the pool is closing or full): worth another attempt later.
      this.logger.error(
        `extraction worker failed on file ${task.sourceIndex} of ${task.programId}: ${(e as Error).message}`,
      );
      throw new PreprocessingError('INTERNAL_ERROR', 'extraction was interrupted');
    }
  }

  // Not onModuleDestroy: files still in flight while the runner drains need their workers.
  async onApplicationShutdown(): Promise<void> {
    await this.pool.destroy();
  }
}
