import { Module } from '@nestjs/common';
import { RetryHistoryHandler } from './handlers/retry-history.handler';
import { ProgramLockRepository } from './lock/program-lock.repository';
import { RetryController } from './retry.controller';
import { RetryRunsRepository } from './retry-runs.repository';
import { RetryScheduler } from './retry.scheduler';
import { RetryService } from './retry.service';
import { InterruptedRuns } from './use-cases/interrupted-runs';
import { ReadRetryRuns } from './use-cases/read-runs';
import { RunRetry } from './use-cases/run-retry.use-case';

/**
 * Retry, all of it: the manual API and the scheduler, the retry runs and their history, the program
 * lock that serialises retries, backoff and exhaustion (backoff.policy), and the counting
 * (tally.policy). The files themselves are queued and worked through the programs module's commands.
 */
@Module({
  controllers: [RetryController],
  providers: [
    RetryService,
    RetryScheduler,
    RunRetry,
    ReadRetryRuns,
    InterruptedRuns,
    RetryRunsRepository,
    ProgramLockRepository,
    RetryHistoryHandler,
  ],
})
export class RetryModule {}
