import { PreprocessingError, PreprocessingErrorCode } from '../errors/preprocessing.error';
import type { Extraction } from '../extractors/extractor';
import { findExtractor } from '../extractors/registry';

export interface ExtractTask {
  contentType: string;
  bytes: Uint8Array;
  fileName: string;
}

/** Errors cross the thread boundary as data: a structured-clone of an Error loses its class and code. */
export type ExtractOutcome = { ok: true; extraction: Extraction } | { ok: false; code: PreprocessingErrorCode; message: string };

/** Runs in a worker thread, so a hostile file's CPU and heap are bounded and a timeout can end it. */
export default async function extract(task: ExtractTask): Promise<ExtractOutcome> {
  const extractor = findExtractor(task.contentType);
  if (!extractor) return { ok: false, code: 'UNSUPPORTED_TYPE', message: `unsupported content type ${task.contentType}` };
  try {
    const bytes = Buffer.from(task.bytes.buffer, task.bytes.byteOffset, task.bytes.byteLength);
    const extraction = await extractor.extract({ bytes, fileName: task.fileName, signal: new AbortController().signal });
    return { ok: true, extraction };
  } catch (e) {
    if (e instanceof PreprocessingError) return { ok: false, code: e.code, message: e.message };
    // A library choking on malformed input throws its own errors: the file is what is wrong.
    return { ok: false, code: 'CORRUPT_FILE', message: `could not read the file: ${(e as Error)?.message ?? String(e)}` };
  }
}
