import { Injectable, Logger } from '@nestjs/common';
import { storableMessage } from '../../database/sql';
import { meta } from '../../events/bus-event';
import {
  FilePreprocessedEvent,
  FilePreprocessingFailedEvent,
  FileProcessingRequestedEvent,
} from '../../events/catalogue';
import { EventBus, OnBusEvent } from '../../events/event-bus';
import { PreprocessingError } from '../errors/preprocessing.error';
import { PreprocessingService, PreprocessResult } from '../preprocessing.service';

/**
 * Preprocesses a requested file and hands the outcome on. Safe to run twice: the processed JSON's
 * key is fixed per file, so a redo overwrites rather than adds.
 */
@Injectable()
export class FileProcessingListener {
  private readonly logger = new Logger(FileProcessingListener.name);

  constructor(
    private readonly preprocessing: PreprocessingService,
    private readonly bus: EventBus,
  ) {}

  @OnBusEvent(FileProcessingRequestedEvent)
  async onRequested({ payload: ref }: FileProcessingRequestedEvent): Promise<void> {
    let result: PreprocessResult;
    try {
      result = await this.preprocessing.preprocess(ref);
    } catch (e) {
      const err = e instanceof PreprocessingError ? e : new PreprocessingError('INTERNAL_ERROR', String(e));
      if (err.code === 'INTERNAL_ERROR') this.logger.error(`program ${ref.programId} file ${ref.sourceIndex}: ${err.message}`);
      // Published outside the try: a failure to record the outcome is not a preprocessing failure.
      await this.bus.publish(
        new FilePreprocessingFailedEvent({
          ...ref,
          ...meta(ref.correlationId),
          error: storableMessage(err),
          errorCode: err.code,
          retryable: err.retryable,
        }),
      );
      return;
    }
    await this.bus.publish(new FilePreprocessedEvent({ ...ref, ...meta(ref.correlationId), ...result }));
  }
}
