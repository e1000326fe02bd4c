import { Command } from '@nestjs/cqrs';
import type { RetryHistoryEntry } from '../../events/catalogue';
import type { ProgramStatus } from '../program.types';

/**
 * Rebuilds metadata_json of a settled program after a retry run; returns the status written.
 * `ending`: the history entry of the run about to end, listed already — the summary is written
 * before the run is marked ended, so a crash in between leaves a `running` run (which the sweep
 * ends and summarises again), never an ended run the summary does not show.
 */
export class RefreshSummaryCommand extends Command<ProgramStatus> {
  constructor(
    readonly programId: string,
    readonly ending?: RetryHistoryEntry,
  ) {
    super();
  }
}
