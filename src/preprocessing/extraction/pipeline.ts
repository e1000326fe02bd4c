import { createHash } from 'node:crypto';
import { posix } from 'node:path';
import { PROCESSED_SCHEMA_VERSION, ProcessedJson } from '../../common/processed-json';
import { detectContentType } from '../content-type';
import { PreprocessingError, PreprocessingErrorCode } from '../errors/preprocessing.error';
import { findExtractor } from '../extractors/registry';
import { chunkText, normalizeText, textStats } from '../text';
import { normalizeSegments, withProvenance } from './provenance';

/** Everything one file's preprocessing needs besides S3: the bytes and where they belong. */
export interface PreprocessTask {
  kind?: 'build';
  bytes: Uint8Array;
  /** Of the bytes, computed as they were read (when absent, it is computed here). */
  sha256?: string;
  /** The source object's key: its extension and last segment (the file name) are hints. */
  key: string;
  storedContentType?: string;
  maxTextChars: number;
  programId: string;
  sourceIndex: number;
  sourceFilePath: string;
}

/** What the Document stage needs without reading the processed JSON back. */
export interface ProcessedSummary {
  title: string;
  contentType: string;
  characters: number;
  chunkCount: number;
  sha256: string;
}

/**
 * Errors cross the thread boundary as data: a structured clone of an Error loses its class and code.
 * `json` is the processed JSON already serialised (UTF-8), so the serving thread only uploads bytes.
 */
export type PreprocessOutcome =
  | { ok: true; json: Uint8Array; summary: ProcessedSummary }
  | { ok: false; code: PreprocessingErrorCode; message: string };

/**
 * Another file of the same program with the same bytes was processed already: its processed JSON,
 * made this file's (index, path, time) instead of extracting the bytes again.
 */
export interface RestampTask {
  kind: 'restamp';
  /** The earlier file's processed JSON, as stored. */
  json: Uint8Array;
  sha256: string;
  programId: string;
  sourceIndex: number;
  sourceFilePath: string;
}

/** `stale`: the earlier JSON is not reusable (another extractor version, other bytes, damaged). */
export type RestampOutcome = { ok: true; json: Uint8Array; summary: ProcessedSummary } | { ok: 'stale' };

const MAX_TITLE_CHARS = 500;

/**
 * Which extraction made a processed JSON: raised whenever a change alters what an extractor, the
 * normaliser or the chunker produce for the same bytes, so files made by an older one can be found
 * and reprocessed.
 */
export const EXTRACTOR_VERSION = '2.0.0';

/**
 * Bytes → processed JSON: detect, extract, normalise, chunk, hash, serialise. Every step parses
 * untrusted bytes or text derived from them, so the whole of it runs in an extraction worker, where
 * the per-file timeout can terminate it and a heap limit contains it.
 */
export async function buildProcessedJson(task: PreprocessTask, signal: AbortSignal): Promise<PreprocessOutcome> {
  try {
    return await build(task, signal);
  } catch (e) {
    if (e instanceof PreprocessingError) return { ok: false, code: e.code, message: e.message };
    // A library choking on malformed input throws its own errors, whose messages may quote the
    // file's bytes: the file is what is wrong, and its contents never go into a failure record.
    if (e instanceof RangeError) {
      return { ok: false, code: 'CORRUPT_FILE', message: 'the file is nested or repeated beyond what can be read' };
    }
    return { ok: false, code: 'CORRUPT_FILE', message: 'the file could not be read' };
  }
}

async function build(task: PreprocessTask, signal: AbortSignal): Promise<PreprocessOutcome> {
  const bytes = Buffer.from(task.bytes.buffer, task.bytes.byteOffset, task.bytes.byteLength);
  const contentType = await detectContentType(bytes, task.key, task.storedContentType);
  const extractor = findExtractor(contentType);
  if (!extractor) throw new PreprocessingError('UNSUPPORTED_TYPE', `unsupported content type ${contentType}`);
  const fileName = posix.basename(task.key);
  const extraction = await extractor.extract({ bytes, fileName, signal, maxTextChars: task.maxTextChars });
  // The extractors check as they go where their output can outgrow their input; this catches the rest.
  assertWithinBudget(extraction.text.length, task.maxTextChars);

  const { text, spans } = normalizeSegments(extraction.segments ?? [{ text: extraction.text }]);
  if (text.length === 0) throw new PreprocessingError('EMPTY_TEXT', 'no text could be extracted');
  assertWithinBudget(text.length, task.maxTextChars);
  const chunks = withProvenance(chunkText(text), spans);
  const stats = textStats(text);
  const title =
    normalizeText((extraction.title ?? '').slice(0, MAX_TITLE_CHARS * 4)).slice(0, MAX_TITLE_CHARS) || fileName;
  const sha256 = task.sha256 ?? createHash('sha256').update(bytes).digest('hex');

  const processed: ProcessedJson = {
    schema_version: PROCESSED_SCHEMA_VERSION,
    program_id: task.programId,
    source_index: task.sourceIndex,
    source_file_path: task.sourceFilePath,
    content_type: contentType,
    title,
    text,
    chunks,
    stats: {
      characters: stats.characters,
      words: stats.words,
      pages: extraction.pages ?? 1,
      ...(extraction.encoding ? { encoding: extraction.encoding } : {}),
    },
    sha256,
    extractor_version: EXTRACTOR_VERSION,
    processed_at: new Date().toISOString(),
  };
  return {
    ok: true,
    // TextEncoder gives an array of its own (Buffer.from may hand out a slice of a shared pool).
    json: new TextEncoder().encode(JSON.stringify(processed)),
    summary: { title, contentType, characters: stats.characters, chunkCount: chunks.length, sha256 },
  };
}

function assertWithinBudget(length: number, maxTextChars: number): void {
  if (length > maxTextChars) {
    throw new PreprocessingError('TOO_LARGE', `extracted text is longer than the ${maxTextChars}-character limit`);
  }
}

/** Re-stamps an earlier identical file's processed JSON for this file; runs in a worker (it parses). */
export function restampProcessedJson(task: RestampTask): RestampOutcome {
  let earlier: ProcessedJson;
  try {
    // Our own output, checked field by field below before anything of it is trusted.
    earlier = JSON.parse(
      Buffer.from(task.json.buffer, task.json.byteOffset, task.json.byteLength).toString('utf8'),
    ) as ProcessedJson;
  } catch {
    return { ok: 'stale' };
  }
  if (
    earlier?.extractor_version !== EXTRACTOR_VERSION ||
    earlier.sha256 !== task.sha256 ||
    earlier.program_id !== task.programId ||
    typeof earlier.text !== 'string' ||
    !Array.isArray(earlier.chunks)
  ) {
    return { ok: 'stale' };
  }
  const processed: ProcessedJson = {
    ...earlier,
    source_index: task.sourceIndex,
    source_file_path: task.sourceFilePath,
    processed_at: new Date().toISOString(),
  };
  return {
    ok: true,
    json: new TextEncoder().encode(JSON.stringify(processed)),
    summary: {
      title: processed.title,
      contentType: processed.content_type,
      characters: processed.stats.characters,
      chunkCount: processed.chunks.length,
      sha256: processed.sha256,
    },
  };
}
