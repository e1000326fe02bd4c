import { Logger } from '@nestjs/common';
import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { storableMessage } from '../../database/sql';
import { PreprocessFileCommand, PreprocessOutcome } from '../commands/preprocess-file.command';
import { PreprocessingError } from '../errors/preprocessing.error';
import { PreprocessingService } from '../preprocessing.service';

/**
 * Preprocesses a file and says how it went. Safe to run twice: the processed JSON's key is fixed
 * per file, so a redo (or a stale holder's late write) overwrites with the same content.
 */
@CommandHandler(PreprocessFileCommand)
export class PreprocessFileHandler implements ICommandHandler<PreprocessFileCommand, PreprocessOutcome> {
  private readonly logger = new Logger(PreprocessFileHandler.name);

  constructor(private readonly preprocessing: PreprocessingService) {}

  async execute({ file }: PreprocessFileCommand): Promise<PreprocessOutcome> {
    try {
      return { ok: true, ...(await this.preprocessing.preprocess(file)) };
    } catch (e) {
      const err = e instanceof PreprocessingError ? e : new PreprocessingError('INTERNAL_ERROR', String(e));
      if (err.code === 'INTERNAL_ERROR')
        this.logger.error(`program ${file.programId} file ${file.sourceIndex}: ${err.message}`);
      return { ok: false, errorCode: err.code, error: storableMessage(err), retryable: err.retryable };
    }
  }
}
