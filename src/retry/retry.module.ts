import { Module } from '@nestjs/common';
import { ProgramsModule } from '../programs/programs.module';
import { RetryController } from './retry.controller';
import { RetryScheduler } from './retry.scheduler';
import { RetryService } from './retry.service';

/**
 * When and what to retry: the manual retry API, the scheduler (with crash recovery) and the backoff
 * policy. The retry itself runs in the programs module, which owns the lock and the file state,
 * reached through ProgramRetryRequested on the bus.
 */
@Module({
  imports: [ProgramsModule],
  controllers: [RetryController],
  providers: [RetryService, RetryScheduler],
})
export class RetryModule {}
