import { Injectable } from '@nestjs/common';
import { ProgramRetryRequestedEvent, RetryResults, UnfinishedProgramsScanRequestedEvent } from '../../events/catalogue';
import { OnBusEvent } from '../../events/event-bus';
import { ProgramRetryService } from '../program-retry.service';
import { ProgramRunner } from '../program-runner.service';

/** The programs module's side of retries and recovery: it owns the lock and the per-file state. */
@Injectable()
export class ProgramRetryListener {
  constructor(
    private readonly retries: ProgramRetryService,
    private readonly runner: ProgramRunner,
  ) {}

  @OnBusEvent(ProgramRetryRequestedEvent)
  onRetryRequested({ payload }: ProgramRetryRequestedEvent): Promise<RetryResults | null> {
    return this.retries.retry(payload);
  }

  // Safe to repeat: a program already queued here is not queued twice, and one held elsewhere is skipped.
  @OnBusEvent(UnfinishedProgramsScanRequestedEvent)
  async onUnfinishedScan(): Promise<void> {
    await this.runner.resumeUnfinished();
  }
}
