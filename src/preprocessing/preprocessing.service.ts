import { Inject, Injectable } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { ProcessedCopyQuery } from '../documents/queries/processed-copy.query';
import { MetricsService } from '../metrics/metrics.service';
import { maxProcessedJsonBytes, parseS3Uri, processedKey, s3Uri } from '../common/processed-json';
import { isAllowedSourceBucket } from '../common/source-policy';
import type { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import type { FileRef, ProcessedFileSummary } from '../events/catalogue';
import { S3StorageRepository } from '../storage/s3-storage.repository';
import { StorageError } from '../storage/storage.errors';
import { PreprocessingError } from './errors/preprocessing.error';
import { ExtractionPool } from './extraction/extraction-pool';
import { worthReusing } from './reuse.policy';

export type PreprocessResult = ProcessedFileSummary;

/** Source object → processed JSON in the output bucket. Throws PreprocessingError for every file-level failure. */
@Injectable()
export class PreprocessingService {
  constructor(
    private readonly storage: S3StorageRepository,
    private readonly extraction: ExtractionPool,
    private readonly queries: QueryBus,
    private readonly metrics: MetricsService,
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
    // Checked at create time too; here for programs created before SOURCE_BUCKETS changed.
    if (!isAllowedSourceBucket(source.bucket, this.config.s3)) {
      throw new PreprocessingError('ACCESS_DENIED', 'sources may not be read from this bucket');
    }
    const {
      bytes,
      contentType: storedContentType,
      sha256,
    } = await this.storage.readObject(source.bucket, source.key, {
      maxBytes: this.config.processing.maxSourceBytes,
      signal,
    });
    const { json, summary } =
      (worthReusing(bytes) ? await this.reuse(ref, sha256, signal) : undefined) ??
      (await this.extraction.preprocess(
        {
          bytes,
          sha256,
          key: source.key,
          storedContentType,
          maxTextChars: this.config.processing.maxTextChars,
          programId: ref.programId,
          sourceIndex: ref.sourceIndex,
          sourceFilePath: ref.sourceFilePath,
        },
        signal,
      ));
    const bucket = this.config.s3.bucket;
    const key = processedKey(ref.programId, ref.sourceIndex);
    await this.storage.putBytes(bucket, key, json, 'application/json; charset=utf-8');
    return { s3Path: s3Uri(bucket, key), ...summary };
  }

  /**
   * Same bytes, same work once: when another file of the program with the same SHA-256 already has a
   * Document, its processed JSON (made by this extractor version) is re-stamped for this file
   * instead of extracting again. Anything unusable on the way means a normal extraction.
   */
  private async reuse(ref: FileRef, sha256: string, signal: AbortSignal) {
    const earlier = await this.queries.execute(new ProcessedCopyQuery(ref.programId, sha256, ref.sourceIndex));
    const uri = earlier ? parseS3Uri(earlier) : undefined;
    if (!uri || uri.bucket !== this.config.s3.bucket) return undefined;
    let json: Uint8Array;
    try {
      ({ bytes: json } = await this.storage.readObject(uri.bucket, uri.key, {
        maxBytes: maxProcessedJsonBytes(this.config.processing.maxSourceBytes),
        signal,
      }));
    } catch (e) {
      if (e instanceof StorageError && e.kind !== 'aborted') return undefined;
      throw e;
    }
    const reused = await this.extraction.restamp(
      {
        kind: 'restamp',
        json,
        sha256,
        programId: ref.programId,
        sourceIndex: ref.sourceIndex,
        sourceFilePath: ref.sourceFilePath,
      },
      signal,
    );
    if (reused) this.metrics.extractionReused();
    return reused;
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
      case 'wrong_region':
        return new PreprocessingError('SOURCE_WRONG_REGION', e.message);
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
    const onAbort = () => reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
