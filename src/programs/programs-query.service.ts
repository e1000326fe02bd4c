import { Injectable } from '@nestjs/common';
import { ProgramNotFoundError } from './errors/program.errors';
import { ProgramsRepository } from './programs.repository';

/** The read-only face other modules may use: ownership checks, never mutations. */
@Injectable()
export class ProgramsQueryService {
  constructor(private readonly programs: ProgramsRepository) {}

  /** Throws PROGRAM_NOT_FOUND (404) unless `userId` owns the program. */
  async assertOwned(programId: string, userId: string): Promise<void> {
    if (!(await this.programs.findOwned(programId, userId, false))) throw new ProgramNotFoundError(programId);
  }
}
