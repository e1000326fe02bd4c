import { Command } from '@nestjs/cqrs';
import type { FileRef, ProcessedFileSummary } from '../../events/catalogue';

/** What preprocessing made of a file: the processed JSON's place and what the Document needs. */
export type PreprocessOutcome =
  ({ ok: true } & ProcessedFileSummary) | { ok: false; errorCode: string; error: string; retryable: boolean };

/** "Preprocess this file": read the source, write its processed JSON, say how it went. */
export class PreprocessFileCommand extends Command<PreprocessOutcome> {
  constructor(readonly file: FileRef) {
    super();
  }
}
