import { Injectable, Logger } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { isConnectionError, storableMessage } from '../../database/sql';
import { meta } from '../../events/bus-event';
import { DocumentStorageFailedEvent, DocumentStoredEvent, FilePreprocessedEvent, FileRef } from '../../events/catalogue';
import { EventBus, OnBusEvent } from '../../events/event-bus';
import { DocumentsRepository } from '../documents.repository';

/** The file-identifying part of an incoming event, re-stamped for the event this listener publishes. */
const fileRef = (p: FileRef): FileRef => ({
  programId: p.programId,
  sourceIndex: p.sourceIndex,
  sourceFilePath: p.sourceFilePath,
  attempt: p.attempt,
  ...meta(p.correlationId),
});

export const newDocumentId = (): string => `doc_${randomBytes(12).toString('hex')}`;

/** Stores a Document for each preprocessed file. Safe to run twice: the database allows one per file. */
@Injectable()
export class DocumentStorageListener {
  private readonly logger = new Logger(DocumentStorageListener.name);

  constructor(
    private readonly documents: DocumentsRepository,
    private readonly bus: EventBus,
  ) {}

  @OnBusEvent(FilePreprocessedEvent)
  async onPreprocessed({ payload: p }: FilePreprocessedEvent): Promise<void> {
    let stored: { id: string; created: boolean };
    try {
      stored = await this.documents.insertOnce({
        id: newDocumentId(),
        programId: p.programId,
        sourceIndex: p.sourceIndex,
        sourceFilePath: p.sourceFilePath,
        s3Path: p.s3Path,
        title: p.title,
        contentType: p.contentType,
        characters: p.characters,
        chunkCount: p.chunkCount,
        sha256: p.sha256,
      });
    } catch (e) {
      // Without a database nothing can be recorded; the file stays unsettled and is redone later.
      if (isConnectionError(e)) throw e;
      this.logger.warn(`program ${p.programId} file ${p.sourceIndex}: document not stored: ${(e as Error).message}`);
      await this.bus.publish(
        new DocumentStorageFailedEvent({
          ...fileRef(p),
          s3Path: p.s3Path,
          error: storableMessage(e),
          errorCode: 'DOCUMENT_STORE_FAILED',
          retryable: true,
        }),
      );
      return;
    }
    await this.bus.publish(
      new DocumentStoredEvent({
        ...fileRef(p),
        documentId: stored.id,
        s3Path: p.s3Path,
        created: stored.created,
      }),
    );
  }
}
