import { Module } from '@nestjs/common';
import { ProgramNotificationHandler } from './handlers/notification-support.handlers';
import { PROGRAMS_HANDLERS } from './handlers/retry-support.handlers';
import { ProgramFilesRepository } from './program-files.repository';
import { ProgramSummaryService } from './program-summary.service';
import { ProgramsController } from './programs.controller';
import { ProgramsRepository } from './programs.repository';
import { ProgramsService } from './programs.service';
import { CancelProgram } from './use-cases/cancel-program';
import { BacklogMetrics } from './work/backlog-metrics';
import { BudgetWatch } from './work/budget-watch';
import { FileWorker } from './work/file-worker.service';
import { ProgramSettler } from './work/program-settler';

/**
 * Programs and their per-file state: the API, the leases and the workers that settle files, and
 * the summary. Other modules reach it only through its commands and queries on the buses.
 */
@Module({
  controllers: [ProgramsController],
  providers: [
    ProgramsRepository,
    ProgramFilesRepository,
    ProgramSummaryService,
    ProgramsService,
    FileWorker,
    ProgramSettler,
    BudgetWatch,
    BacklogMetrics,
    CancelProgram,
    ...PROGRAMS_HANDLERS,
    ProgramNotificationHandler,
  ],
})
export class ProgramsModule {}
