import { Command } from '@nestjs/cqrs';
import type { FailureStage, RetryTrigger, RetryType } from '../program.types';

/** Which failed files a retry takes: the stages, and for the scheduler only what is due. */
export interface RequeueSelection {
  programId: string;
  runId: string;
  trigger: RetryTrigger;
  retryType: RetryType;
  stages: FailureStage[];
  /** Scheduled rounds: only automatic-retry-eligible failures due by then. */
  due?: { dueBy: Date; maxAttempts: number };
  /** A selected manual retry: only these source indexes … */
  indexes?: number[];
  /** … or only failures with these error codes. */
  errorCodes?: string[];
}

/**
 * Puts the selected failed files of a program back in the queue under a retry run: they become
 * `pending` for any replica's workers, tagged with the run. Returns how many were queued.
 */
export class RequeueFailedFilesCommand extends Command<number> {
  constructor(readonly selection: RequeueSelection) {
    super();
  }
}
