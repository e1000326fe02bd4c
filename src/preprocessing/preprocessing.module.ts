import { Module } from '@nestjs/common';
import { EXTRACTORS, Extractor } from './extractors/extractor';
import { JsonExtractor } from './extractors/json.extractor';
import { MarkdownExtractor } from './extractors/markdown.extractor';
import { PlainTextExtractor } from './extractors/plain-text.extractor';
import { FileProcessingListener } from './listeners/file-processing.listener';
import { PreprocessingService } from './preprocessing.service';

// One registration per supported format.
const EXTRACTOR_CLASSES = [PlainTextExtractor, MarkdownExtractor, JsonExtractor];

@Module({
  providers: [
    ...EXTRACTOR_CLASSES,
    {
      provide: EXTRACTORS,
      inject: EXTRACTOR_CLASSES,
      useFactory: (...extractors: Extractor[]) => extractors,
    },
    PreprocessingService,
    FileProcessingListener,
  ],
})
export class PreprocessingModule {}
