import { Module } from '@nestjs/common';
import { ExtractionPool } from './extraction/extraction-pool';
import { FileProcessingListener } from './listeners/file-processing.listener';
import { PreprocessingService } from './preprocessing.service';

@Module({
  providers: [ExtractionPool, PreprocessingService, FileProcessingListener],
})
export class PreprocessingModule {}
