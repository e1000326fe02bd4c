import { Injectable } from '@nestjs/common';
import { ProgramNotFoundError } from './errors/program.errors';
import { ProgramFilesRepository } from './program-files.repository';
import { ProgramsRepository } from './programs.repository';

/** The read-only face other modules may use: ownership checks, never mutations. */
@Injectable()
export class ProgramsQueryService {
  constructor(
    private readonly programs: ProgramsRepository,
    private readonly files: ProgramFilesRepository,
  ) {}

  /** Throws PROGRAM_NOT_FOUND (404) unless `userId` owns the program. */
  async assertOwned(programId: string, userId: string): Promise<void> {
    if (!(await this.programs.findOwned(programId, userId, false))) throw new ProgramNotFoundError();
  }

  /** Programs holding at least one failure the scheduler may retry by `dueBy`. */
  programsWithDueRetries(dueBy: Date, maxAttempts: number, limit: number): Promise<string[]> {
    return this.files.programsWithDueRetries({ dueBy, maxAttempts }, limit);
  }
}
