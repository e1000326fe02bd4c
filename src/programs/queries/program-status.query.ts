import { Query } from '@nestjs/cqrs';
import type { ProgramStatus } from '../program.types';

export interface ProgramStatusView {
  status: ProgramStatus;
  totalFiles: number;
}

/** The program's status, when it exists and (with `userId`) belongs to that user. */
export class ProgramStatusQuery extends Query<ProgramStatusView | undefined> {
  constructor(
    readonly programId: string,
    readonly userId?: string,
  ) {
    super();
  }
}
