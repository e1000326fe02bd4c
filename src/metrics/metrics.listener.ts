import { Injectable } from '@nestjs/common';
import {
  DocumentStorageFailedEvent,
  DocumentStoredEvent,
  FilePreprocessedEvent,
  FilePreprocessingFailedEvent,
} from '../events/catalogue';
import { OnBusEvent } from '../events/event-bus';
import { MetricsService } from './metrics.service';

/** File outcomes, counted from the same catalogue events the pipeline records them from. */
@Injectable()
export class MetricsListener {
  constructor(private readonly metrics: MetricsService) {}

  @OnBusEvent(FilePreprocessedEvent)
  onPreprocessed(): void {
    this.metrics.fileOutcome('preprocessing');
  }

  @OnBusEvent(FilePreprocessingFailedEvent)
  onPreprocessingFailed({ payload }: FilePreprocessingFailedEvent): void {
    this.metrics.fileOutcome('preprocessing', payload.errorCode);
  }

  @OnBusEvent(DocumentStoredEvent)
  onStored(): void {
    this.metrics.fileOutcome('document');
  }

  @OnBusEvent(DocumentStorageFailedEvent)
  onStorageFailed({ payload }: DocumentStorageFailedEvent): void {
    this.metrics.fileOutcome('document', payload.errorCode);
  }
}
