import { DomainError } from './domain.error';

/**
 * A program that does not exist, or belongs to someone else: the same answer, so existence is
 * never revealed across users. Shared, because every module that serves a program's resources
 * answers it the same way.
 */
export class ProgramNotFoundError extends DomainError {
  // The id is not echoed back: the answer must read the same whoever owns (or not) the program.
  constructor() {
    super('PROGRAM_NOT_FOUND', 404, 'program not found');
  }
}
