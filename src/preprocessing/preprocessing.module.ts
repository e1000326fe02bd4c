import { Module } from '@nestjs/common';
import { ExtractionPool } from './extraction/extraction-pool';
import { PreprocessFileHandler } from './handlers/preprocess-file.handler';
import { PreprocessingService } from './preprocessing.service';

/** Source object → processed JSON, for whoever sends PreprocessFileCommand. */
@Module({
  providers: [ExtractionPool, PreprocessingService, PreprocessFileHandler],
})
export class PreprocessingModule {}
