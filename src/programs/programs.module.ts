import { Module } from '@nestjs/common';
import { FileOutcomeListener } from './listeners/file-outcome.listener';
import { ProgramRetryListener } from './listeners/program-retry.listener';
import { OutcomeTracker } from './outcome-tracker';
import { ProgramRetryService } from './program-retry.service';
import { ProgramLockRepository } from './lock/program-lock.repository';
import { ProgramFilesRepository } from './program-files.repository';
import { ProgramRunner } from './program-runner.service';
import { ProgramSummaryService } from './program-summary.service';
import { ProgramsQueryService } from './programs-query.service';
import { ProgramsController } from './programs.controller';
import { ProgramsRepository } from './programs.repository';
import { ProgramsService } from './programs.service';

@Module({
  controllers: [ProgramsController],
  providers: [
    ProgramsRepository,
    ProgramFilesRepository,
    ProgramLockRepository,
    ProgramSummaryService,
    ProgramRunner,
    ProgramsService,
    ProgramsQueryService,
    FileOutcomeListener,
    OutcomeTracker,
    ProgramRetryService,
    ProgramRetryListener,
  ],
  exports: [ProgramsQueryService],
})
export class ProgramsModule {}
