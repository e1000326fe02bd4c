import { Module } from '@nestjs/common';

/**
 * Retries of failed files. For now it owns the backoff policy (backoff.policy.ts), which the
 * programs module applies when it records a failure; the retry API and the scheduler live here.
 */
@Module({})
export class RetryModule {}
