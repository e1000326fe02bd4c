import {
  CommandHandler,
  EventsHandler,
  ICommandHandler,
  IEventHandler,
  IQueryHandler,
  QueryHandler,
} from '@nestjs/cqrs';
import { FilesQueuedEvent } from '../../events/catalogue';
import { RefreshSummaryCommand } from '../commands/refresh-summary.command';
import { RequeueFailedFilesCommand } from '../commands/requeue-failed-files.command';
import { ProgramFilesRepository } from '../program-files.repository';
import { ProgramSummaryService } from '../program-summary.service';
import type { ProgramStatus } from '../program.types';
import { ProgramsRepository } from '../programs.repository';
import { DueRetryProgramsQuery } from '../queries/due-retry-programs.query';
import { ProgramStatusQuery, ProgramStatusView } from '../queries/program-status.query';
import { AttemptTally, RunAttemptsQuery, RunUnsettledFilesQuery } from '../queries/run-progress.query';
import { FileWorker } from '../work/file-worker.service';

/** The narrow face the programs module shows the retry module: what it may ask, and nothing else. */
@CommandHandler(RequeueFailedFilesCommand)
export class RequeueFailedFilesHandler implements ICommandHandler<RequeueFailedFilesCommand, number> {
  constructor(private readonly files: ProgramFilesRepository) {}

  execute({ selection }: RequeueFailedFilesCommand): Promise<number> {
    return this.files.requeueFailed(selection);
  }
}

@CommandHandler(RefreshSummaryCommand)
export class RefreshSummaryHandler implements ICommandHandler<RefreshSummaryCommand, ProgramStatus> {
  constructor(
    private readonly programs: ProgramsRepository,
    private readonly summary: ProgramSummaryService,
  ) {}

  async execute({ programId, ending }: RefreshSummaryCommand): Promise<ProgramStatus> {
    const program = await this.programs.findById(programId);
    if (!program) throw new Error(`program ${programId} does not exist`);
    return (await this.summary.refresh(programId, program.total_files, 'retry', ending))!;
  }
}

@QueryHandler(ProgramStatusQuery)
export class ProgramStatusHandler implements IQueryHandler<ProgramStatusQuery, ProgramStatusView | undefined> {
  constructor(private readonly programs: ProgramsRepository) {}

  async execute({ programId, caller }: ProgramStatusQuery): Promise<ProgramStatusView | undefined> {
    const row =
      caller === undefined
        ? await this.programs.findById(programId)
        : await this.programs.findOwned(programId, caller, false);
    return row && { status: row.status, totalFiles: row.total_files };
  }
}

@QueryHandler(RunUnsettledFilesQuery)
export class RunUnsettledFilesHandler implements IQueryHandler<RunUnsettledFilesQuery, number> {
  constructor(private readonly files: ProgramFilesRepository) {}

  execute({ runId }: RunUnsettledFilesQuery): Promise<number> {
    return this.files.unsettledInRun(runId);
  }
}

@QueryHandler(RunAttemptsQuery)
export class RunAttemptsHandler implements IQueryHandler<RunAttemptsQuery, AttemptTally[]> {
  constructor(private readonly files: ProgramFilesRepository) {}

  execute({ runId }: RunAttemptsQuery): Promise<AttemptTally[]> {
    return this.files.attemptsOfRun(runId);
  }
}

@QueryHandler(DueRetryProgramsQuery)
export class DueRetryProgramsHandler implements IQueryHandler<DueRetryProgramsQuery, string[]> {
  constructor(private readonly files: ProgramFilesRepository) {}

  execute({ dueBy, maxAttempts, limit }: DueRetryProgramsQuery): Promise<string[]> {
    return this.files.programsWithDueRetries({ dueBy, maxAttempts }, limit);
  }
}

/** Files were queued on this replica: its worker looks at once instead of at its next poll. */
@EventsHandler(FilesQueuedEvent)
export class FilesQueuedHandler implements IEventHandler<FilesQueuedEvent> {
  constructor(private readonly worker: FileWorker) {}

  handle(): void {
    this.worker.kick();
  }
}

export const PROGRAMS_HANDLERS = [
  RequeueFailedFilesHandler,
  RefreshSummaryHandler,
  ProgramStatusHandler,
  RunUnsettledFilesHandler,
  RunAttemptsHandler,
  DueRetryProgramsHandler,
  FilesQueuedHandler,
];
