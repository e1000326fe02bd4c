import { Inject, Injectable } from '@nestjs/common';
import { Clock } from '../../common/clock';
import type { AppConfig } from '../../config/app-config';
import { APP_CONFIG } from '../../config/config.module';
import {
  DocumentStorageFailedEvent,
  DocumentStoredEvent,
  FileFailurePayload,
  FilePreprocessingFailedEvent,
} from '../../events/catalogue';
import { OnBusEvent } from '../../events/event-bus';
import { planRetry } from '../../retry/backoff.policy';
import { OutcomeTracker } from '../outcome-tracker';
import { ProgramFilesRepository } from '../program-files.repository';
import type { FailureStage } from '../program.types';

/**
 * Records each file's outcome in its row. Safe to run twice: the updates are absolute, and a
 * finished file is never turned back into a failure. Errors propagate (the file stays unsettled).
 */
@Injectable()
export class FileOutcomeListener {
  constructor(
    private readonly files: ProgramFilesRepository,
    private readonly tracker: OutcomeTracker,
    private readonly clock: Clock,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @OnBusEvent(DocumentStoredEvent)
  async onDocumentStored({ payload }: DocumentStoredEvent): Promise<void> {
    await this.files.markDone(payload.programId, payload.sourceIndex, payload.s3Path, payload.attempt);
    this.tracker.record(payload.programId, payload.sourceIndex, { state: 'done' });
  }

  @OnBusEvent(FilePreprocessingFailedEvent)
  async onPreprocessingFailed({ payload }: FilePreprocessingFailedEvent): Promise<void> {
    await this.recordFailure('preprocessing', payload);
  }

  @OnBusEvent(DocumentStorageFailedEvent)
  async onDocumentStorageFailed({ payload }: DocumentStorageFailedEvent): Promise<void> {
    await this.recordFailure('document', payload, payload.s3Path);
  }

  private async recordFailure(stage: FailureStage, p: FileFailurePayload, processedS3Path?: string): Promise<void> {
    // `attempt` is this attempt's number (0 in the first run), so the backoff grows with each one,
    // and a file that reaches RETRY_MAX_ATTEMPTS is exhausted whoever (operator or scheduler) took it there.
    const plan = planRetry({ retryable: p.retryable, retryCount: p.attempt }, this.config.retry, this.clock.now());
    await this.files.markFailed(p.programId, p.sourceIndex, stage, {
      attempt: p.attempt,
      error: p.error,
      errorCode: p.errorCode,
      retryable: p.retryable,
      nextRetryAt: plan.nextRetryAt,
      exhausted: plan.exhausted,
      processedS3Path,
    });
    this.tracker.record(p.programId, p.sourceIndex, {
      state: stage === 'preprocessing' ? 'preprocessing_failed' : 'document_failed',
      errorCode: p.errorCode,
    });
  }
}
