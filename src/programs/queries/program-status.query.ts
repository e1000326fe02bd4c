import { Query } from '@nestjs/cqrs';
import type { Identity } from '../../common/auth/identity';
import type { ProgramStatus } from '../program.types';

export interface ProgramStatusView {
  status: ProgramStatus;
  totalFiles: number;
}

/**
 * The program's status, when it exists and (with `caller`) the caller may see it: their own, or any
 * program for an admin. Without a caller (the service's own work) every program is seen.
 */
export class ProgramStatusQuery extends Query<ProgramStatusView | undefined> {
  constructor(
    readonly programId: string,
    readonly caller?: Identity,
  ) {
    super();
  }
}
