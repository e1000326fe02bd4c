import { Module } from '@nestjs/common';
import { DocumentsController } from './documents.controller';
import { DocumentsRepository } from './documents.repository';
import { DocumentsService } from './documents.service';
import {
  DocumentOfFileHandler,
  LoadProcessedJsonHandler,
  ProcessedCopyHandler,
  StoreDocumentHandler,
} from './handlers/document.handlers';

/** Documents: storing one per file (fenced by the file's lease) and listing them. */
@Module({
  controllers: [DocumentsController],
  providers: [
    DocumentsRepository,
    DocumentsService,
    StoreDocumentHandler,
    LoadProcessedJsonHandler,
    ProcessedCopyHandler,
    DocumentOfFileHandler,
  ],
})
export class DocumentsModule {}
