import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { Piscina } from 'piscina';
import type { AppConfig } from '../../config/app-config';
import { APP_CONFIG } from '../../config/config.module';
import { PreprocessingError } from '../errors/preprocessing.error';
import type { Extraction } from '../extractors/extractor';
import { CONTENT_TYPES } from '../content-type';
import extract, { type ExtractOutcome, type ExtractTask } from './extract.worker';

const INLINE_MAX_BYTES = 64 * 1024;
// Formats whose parsers are linear in their input; PDF and DOCX (archives, fonts) always go to a worker.
const INLINE_TYPES = new Set<string>([
  CONTENT_TYPES.text,
  CONTENT_TYPES.markdown,
  CONTENT_TYPES.json,
  CONTENT_TYPES.csv,
  CONTENT_TYPES.html,
]);

// Heap a single extraction may use; a file that needs more is refused, the process is unharmed.
const WORKER_HEAP_MB = 384;

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

@Injectable()
export class ExtractionPool implements OnApplicationShutdown {
  private readonly logger = new Logger(ExtractionPool.name);
  private readonly pool: Piscina<ExtractTask, ExtractOutcome>;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    // Extraction is CPU-bound: more threads than cores only adds memory.
    const threads = Math.max(1, Math.min(config.processing.concurrency, availableParallelism()));
    this.pool = new Piscina({
      filename: workerFile(),
      minThreads: 1,
      maxThreads: threads,
      idleTimeout: 30_000,
      resourceLimits: { maxOldGenerationSizeMb: WORKER_HEAP_MB, maxYoungGenerationSizeMb: 32, stackSizeMb: 4 },
    });
  }

  /** Extracts in a worker; `signal` (the per-file timeout) terminates the worker mid-work. */
  async extract(contentType: string, bytes: Buffer, fileName: string, signal: AbortSignal): Promise<Extraction> {
    // A small text file costs less to extract than to hand to a thread (clone, schedule, clone
    // back), and its size alone bounds the time and memory it can take.
    const outcome =
      bytes.length <= INLINE_MAX_BYTES && INLINE_TYPES.has(contentType)
        ? await extract({ contentType, bytes, fileName })
        : await this.inWorker(contentType, bytes, fileName, signal);
    if (!outcome.ok) throw new PreprocessingError(outcome.code, outcome.message);
    return outcome.extraction;
  }

  private async inWorker(contentType: string, bytes: Buffer, fileName: string, signal: AbortSignal): Promise<ExtractOutcome> {
    try {
      return await this.pool.run({ contentType, bytes, fileName }, { signal });
    } catch (e) {
      if (signal.aborted) throw signal.reason ?? e;
      const code = (e as { code?: string }).code;
      if (code === 'ERR_WORKER_OUT_OF_MEMORY') {
        throw new PreprocessingError('CORRUPT_FILE', `extraction needed more than ${WORKER_HEAP_MB} MB of memory`);
      }
      // Not the file's fault (a worker died, the pool is closing): worth another attempt later.
      this.logger.error(`extraction worker failed on ${fileName}: ${(e as Error).message}`);
      throw new PreprocessingError('INTERNAL_ERROR', `extraction failed: ${(e as Error).message}`);
    }
  }

  // Not onModuleDestroy: files still in flight while the runner drains need their workers.
  async onApplicationShutdown(): Promise<void> {
    await this.pool.destroy();
  }
}
