import { Module } from '@nestjs/common';
import { ProgramsModule } from '../programs/programs.module';
import { DocumentsController } from './documents.controller';
import { DocumentsRepository } from './documents.repository';
import { DocumentsService } from './documents.service';
import { DocumentStorageListener } from './listeners/document-storage.listener';

@Module({
  imports: [ProgramsModule],
  controllers: [DocumentsController],
  providers: [DocumentsRepository, DocumentsService, DocumentStorageListener],
})
export class DocumentsModule {}
