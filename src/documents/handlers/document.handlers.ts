import { Inject } from '@nestjs/common';
import { CommandHandler, ICommandHandler, IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { randomBytes } from 'node:crypto';
import { maxProcessedJsonBytes, parseS3Uri, ProcessedJson, processedJsonProblem } from '../../common/processed-json';
import type { AppConfig } from '../../config/app-config';
import { APP_CONFIG } from '../../config/config.module';
import { databaseErrorMessage, isConnectionError, storableMessage } from '../../database/sql';
import { S3StorageRepository } from '../../storage/s3-storage.repository';
import { StorageError } from '../../storage/storage.errors';
import { LoadProcessedJsonCommand, LoadProcessedJsonOutcome } from '../commands/load-processed-json.command';
import { StoreDocumentCommand, StoreDocumentOutcome } from '../commands/store-document.command';
import { DocumentsRepository } from '../documents.repository';
import { DocumentOfFileQuery, StoredDocument } from '../queries/document-of-file.query';
import { ProcessedCopyQuery } from '../queries/processed-copy.query';

export const newDocumentId = (): string => `doc_${randomBytes(12).toString('hex')}`;

/**
 * Stores a file's Document, once, and only while the caller's lease on the file holds: the insert
 * is conditional on the epoch (a fenced writer inserts nothing) and on the unique key (a redo after
 * a crash finds the Document already there).
 */
@CommandHandler(StoreDocumentCommand)
export class StoreDocumentHandler implements ICommandHandler<StoreDocumentCommand, StoreDocumentOutcome> {
  constructor(private readonly documents: DocumentsRepository) {}

  async execute({ file, epoch, fields }: StoreDocumentCommand): Promise<StoreDocumentOutcome> {
    try {
      const stored = await this.documents.insertFenced(
        {
          id: newDocumentId(),
          programId: file.programId,
          sourceIndex: file.sourceIndex,
          sourceFilePath: file.sourceFilePath,
          ...fields,
        },
        epoch,
      );
      if (!stored) return { ok: false, fenced: true };
      return { ok: true, documentId: stored.id, created: stored.created };
    } catch (e) {
      // Without a database nothing can be recorded: the caller leaves the file to its lease.
      if (isConnectionError(e)) throw e;
      // Every Document-stage failure may succeed later: a constraint is lifted, a trigger changed.
      return {
        ok: false,
        fenced: false,
        errorCode: 'DOCUMENT_STORE_FAILED',
        error: storableMessage(databaseErrorMessage(e)),
      };
    }
  }
}

/** Reads and validates the processed JSON a Document retry starts from. */
@CommandHandler(LoadProcessedJsonCommand)
export class LoadProcessedJsonHandler implements ICommandHandler<LoadProcessedJsonCommand, LoadProcessedJsonOutcome> {
  constructor(
    private readonly storage: S3StorageRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async execute({ programId, sourceIndex, s3Path }: LoadProcessedJsonCommand): Promise<LoadProcessedJsonOutcome> {
    const uri = parseS3Uri(s3Path);
    if (!uri)
      return { ok: false, errorCode: 'PROCESSED_JSON_INVALID', error: 'the processed JSON path is not an s3 path' };
    let read: Awaited<ReturnType<S3StorageRepository['readJson']>>;
    try {
      read = await this.storage.readJson(
        uri.bucket,
        uri.key,
        maxProcessedJsonBytes(this.config.processing.maxSourceBytes),
      );
    } catch (e) {
      if (!(e instanceof StorageError)) throw e;
      return { ok: false, errorCode: 'STORAGE_UNAVAILABLE', error: storableMessage(e) };
    }
    if (!read)
      return { ok: false, errorCode: 'PROCESSED_JSON_MISSING', error: `processed JSON ${s3Path} does not exist` };
    const problem = 'invalid' in read ? read.invalid : processedJsonProblem(read.value, programId, sourceIndex);
    if (problem) {
      return {
        ok: false,
        errorCode: 'PROCESSED_JSON_INVALID',
        error: storableMessage(`processed JSON ${s3Path}: ${problem}`),
      };
    }
    const json = (read as { value: ProcessedJson }).value;
    return {
      ok: true,
      fields: {
        s3Path,
        title: json.title,
        contentType: json.content_type,
        characters: json.stats.characters,
        chunkCount: json.chunks.length,
        sha256: json.sha256,
      },
    };
  }
}

@QueryHandler(ProcessedCopyQuery)
export class ProcessedCopyHandler implements IQueryHandler<ProcessedCopyQuery, string | undefined> {
  constructor(private readonly documents: DocumentsRepository) {}

  execute({ programId, sha256, sourceIndex }: ProcessedCopyQuery): Promise<string | undefined> {
    return this.documents.processedCopy(programId, sha256, sourceIndex);
  }
}

@QueryHandler(DocumentOfFileQuery)
export class DocumentOfFileHandler implements IQueryHandler<DocumentOfFileQuery, StoredDocument | undefined> {
  constructor(private readonly documents: DocumentsRepository) {}

  execute({ programId, sourceIndex }: DocumentOfFileQuery): Promise<StoredDocument | undefined> {
    return this.documents.ofFile(programId, sourceIndex);
  }
}
