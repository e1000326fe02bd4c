import { Inject, Injectable, Logger } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { parseS3Uri, ProcessedJson, processedJsonProblem } from '../../common/processed-json';
import type { AppConfig } from '../../config/app-config';
import { APP_CONFIG } from '../../config/config.module';
import { databaseErrorMessage, isConnectionError, storableMessage } from '../../database/sql';
import { meta } from '../../events/bus-event';
import {
  DocumentRetryRequestedEvent,
  DocumentStorageFailedEvent,
  DocumentStoredEvent,
  FilePreprocessedEvent,
  FileRef,
} from '../../events/catalogue';
import { EventBus, OnBusEvent } from '../../events/event-bus';
import { S3StorageRepository } from '../../storage/s3-storage.repository';
import { StorageError } from '../../storage/storage.errors';
import { DocumentsRepository, NewDocument } from '../documents.repository';

export const newDocumentId = (): string => `doc_${randomBytes(12).toString('hex')}`;

/** The file-identifying part of an incoming event, re-stamped for the event this listener publishes. */
const fileRef = (p: FileRef): FileRef => ({
  programId: p.programId,
  sourceIndex: p.sourceIndex,
  sourceFilePath: p.sourceFilePath,
  attempt: p.attempt,
  ...meta(p.correlationId),
});

type DocumentFields = Omit<NewDocument, 'id' | 'programId' | 'sourceIndex' | 'sourceFilePath' | 's3Path'>;

// A processed JSON holds the text about twice (text + chunks) plus structure.
const PROCESSED_JSON_SIZE_FACTOR = 3;

/** Stores a Document for each preprocessed file. Safe to run twice: the database allows one per file. */
@Injectable()
export class DocumentStorageListener {
  private readonly logger = new Logger(DocumentStorageListener.name);

  constructor(
    private readonly documents: DocumentsRepository,
    private readonly storage: S3StorageRepository,
    private readonly bus: EventBus,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @OnBusEvent(FilePreprocessedEvent)
  async onPreprocessed({ payload: p }: FilePreprocessedEvent): Promise<void> {
    await this.store(p, p.s3Path, p);
  }

  /** A Document retry starts from the processed JSON in S3, which must exist and be this file's. */
  @OnBusEvent(DocumentRetryRequestedEvent)
  async onRetryRequested({ payload: p }: DocumentRetryRequestedEvent): Promise<void> {
    const uri = parseS3Uri(p.s3Path);
    let read: Awaited<ReturnType<S3StorageRepository['readJson']>>;
    try {
      read = uri
        ? await this.storage.readJson(
            uri.bucket,
            uri.key,
            this.config.processing.maxSourceBytes * PROCESSED_JSON_SIZE_FACTOR,
          )
        : { invalid: `not an s3 path: ${p.s3Path}` };
    } catch (e) {
      if (!(e instanceof StorageError)) throw e;
      return this.fail(p, p.s3Path, 'STORAGE_UNAVAILABLE', e.message);
    }
    if (!read) return this.fail(p, p.s3Path, 'PROCESSED_JSON_MISSING', `processed JSON ${p.s3Path} does not exist`);
    const problem = 'invalid' in read ? read.invalid : processedJsonProblem(read.value, p.programId, p.sourceIndex);
    if (problem) return this.fail(p, p.s3Path, 'PROCESSED_JSON_INVALID', `processed JSON ${p.s3Path}: ${problem}`);
    const json = (read as { value: ProcessedJson }).value;
    await this.store(p, p.s3Path, {
      title: json.title,
      contentType: json.content_type,
      characters: json.stats.characters,
      chunkCount: json.chunks.length,
      sha256: json.sha256,
    });
  }

  private async store(ref: FileRef, s3Path: string, fields: DocumentFields): Promise<void> {
    let stored: { id: string; created: boolean };
    try {
      stored = await this.documents.insertOnce({
        id: newDocumentId(),
        programId: ref.programId,
        sourceIndex: ref.sourceIndex,
        sourceFilePath: ref.sourceFilePath,
        s3Path,
        title: fields.title,
        contentType: fields.contentType,
        characters: fields.characters,
        chunkCount: fields.chunkCount,
        sha256: fields.sha256,
      });
    } catch (e) {
      // Without a database nothing can be recorded; the file stays unsettled and is redone later.
      if (isConnectionError(e)) throw e;
      const reason = databaseErrorMessage(e);
      this.logger.warn(`program ${ref.programId} file ${ref.sourceIndex}: document not stored: ${reason}`);
      return this.fail(ref, s3Path, 'DOCUMENT_STORE_FAILED', reason);
    }
    await this.bus.publish(
      new DocumentStoredEvent({ ...fileRef(ref), documentId: stored.id, s3Path, created: stored.created }),
    );
  }

  // Every Document-stage failure may succeed later: a constraint is lifted, S3 recovers, or (with
  // retry_type=all, as the scheduler retries) a missing processed JSON is made again.
  private async fail(ref: FileRef, s3Path: string, errorCode: string, error: string): Promise<void> {
    await this.bus.publish(
      new DocumentStorageFailedEvent({ ...fileRef(ref), s3Path, error: storableMessage(error), errorCode, retryable: true }),
    );
  }
}
