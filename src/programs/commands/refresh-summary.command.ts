import { Command } from '@nestjs/cqrs';
import type { ProgramStatus } from '../program.types';

/** Rebuilds metadata_json of a settled program after a retry run; returns the status written. */
export class RefreshSummaryCommand extends Command<ProgramStatus> {
  constructor(readonly programId: string) {
    super();
  }
}
