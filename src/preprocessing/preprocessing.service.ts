import { Inject, Injectable } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { posix } from 'node:path';
import {
  PROCESSED_SCHEMA_VERSION,
  ProcessedJson,
  parseS3Uri,
  processedKey,
  s3Uri,
} from '../common/processed-json';
import type { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import type { FilePreprocessedPayload, FileRef } from '../events/catalogue';
import { S3StorageRepository } from '../storage/s3-storage.repository';
import { StorageError } from '../storage/storage.errors';
import { detectContentType } from './content-type';
import { PreprocessingError } from './errors/preprocessing.error';
import { ExtractionPool } from './extraction/extraction-pool';
import { findExtractor } from './extractors/registry';
import { chunkText, normalizeText, textStats } from './text';

export type PreprocessResult = Omit<FilePreprocessedPayload, keyof FileRef>;

/** Source object → processed JSON in the output bucket. Throws PreprocessingError for every file-level failure. */
@Injectable()
export class PreprocessingService {
  constructor(
    private readonly storage: S3StorageRepository,
    private readonly extraction: ExtractionPool,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async preprocess(ref: FileRef): Promise<PreprocessResult> {
    const timeoutMs = this.config.processing.preprocessTimeoutMs;
    const signal = AbortSignal.timeout(timeoutMs);
    try {
      return await raceAbort(this.run(ref, signal), signal);
    } catch (e) {
      if (signal.aborted) throw new PreprocessingError('TIMEOUT', `preprocessing took longer than ${timeoutMs} ms`);
      throw toPreprocessingError(e);
    }
  }

  private async run(ref: FileRef, signal: AbortSignal): Promise<PreprocessResult> {
    const source = parseS3Uri(ref.sourceFilePath);
    if (!source) throw new PreprocessingError('INVALID_PATH', `not a valid s3://bucket/key path`);
    const { bytes, contentType: stored } = await this.storage.readObject(source.bucket, source.key, {
      maxBytes: this.config.processing.maxSourceBytes,
      signal,
    });
    const contentType = await detectContentType(bytes, source.key, stored);
    if (!findExtractor(contentType)) {
      throw new PreprocessingError('UNSUPPORTED_TYPE', `unsupported content type ${contentType}`);
    }
    const fileName = posix.basename(source.key);
    const extraction = await this.extraction.extract(contentType, bytes, fileName, signal);

    const text = normalizeText(extraction.text);
    if (text.length === 0) throw new PreprocessingError('EMPTY_TEXT', 'no text could be extracted');
    const chunks = chunkText(text);
    const stats = textStats(text);
    const title = normalizeText(extraction.title ?? '').slice(0, 500) || fileName;
    const sha256 = createHash('sha256').update(bytes).digest('hex');

    const bucket = this.config.s3.bucket;
    const key = processedKey(ref.programId, ref.sourceIndex);
    const processed: ProcessedJson = {
      schema_version: PROCESSED_SCHEMA_VERSION,
      program_id: ref.programId,
      source_index: ref.sourceIndex,
      source_file_path: ref.sourceFilePath,
      content_type: contentType,
      title,
      text,
      chunks,
      stats: { characters: stats.characters, words: stats.words, pages: extraction.pages ?? 1 },
      sha256,
      processed_at: new Date().toISOString(),
    };
    await this.storage.putJson(bucket, key, processed);
    return {
      s3Path: s3Uri(bucket, key),
      title,
      contentType,
      characters: stats.characters,
      chunkCount: chunks.length,
      sha256,
    };
  }
}

function toPreprocessingError(e: unknown): PreprocessingError {
  if (e instanceof PreprocessingError) return e;
  if (e instanceof StorageError) {
    switch (e.kind) {
      case 'not_found':
        return new PreprocessingError('SOURCE_NOT_FOUND', e.message);
      case 'too_large':
        return new PreprocessingError('TOO_LARGE', e.message);
      case 'denied':
        return new PreprocessingError('ACCESS_DENIED', e.message);
      case 'aborted':
        return new PreprocessingError('TIMEOUT', e.message);
      default:
        return new PreprocessingError('STORAGE_UNAVAILABLE', e.message);
    }
  }
  return new PreprocessingError('INTERNAL_ERROR', (e as Error)?.message ?? String(e));
}

/** Settles with the work or with the abort, whichever comes first. */
function raceAbort<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
