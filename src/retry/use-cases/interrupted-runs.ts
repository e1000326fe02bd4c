import { Injectable, Logger } from '@nestjs/common';
import { CommandBus, EventBus, QueryBus } from '@nestjs/cqrs';
import { RetryFinishedEvent } from '../../events/catalogue';
import { RefreshSummaryCommand } from '../../programs/commands/refresh-summary.command';
import { RunAttemptsQuery, RunUnsettledFilesQuery } from '../../programs/queries/run-progress.query';
import { ProgramLockRepository } from '../lock/program-lock.repository';
import { RetryRunsRepository } from '../retry-runs.repository';
import { tallyAttempts } from '../tally.policy';

const RUNS_PER_SWEEP = 50;

/**
 * Ends the runs whose holder died: a `running` run whose program lock is free (SKIP LOCKED takes
 * it, so its holder is gone) and whose files have all settled — through their leases, on any
 * replica — is marked `interrupted`, with the counts its attempts add up to.
 */
@Injectable()
export class InterruptedRuns {
  private readonly logger = new Logger(InterruptedRuns.name);

  constructor(
    private readonly runs: RetryRunsRepository,
    private readonly locks: ProgramLockRepository,
    private readonly commands: CommandBus,
    private readonly queries: QueryBus,
    private readonly events: EventBus,
  ) {}

  /** Returns the runs it ended. */
  async sweep(): Promise<string[]> {
    const ended: string[] = [];
    for (const run of await this.runs.running(RUNS_PER_SWEEP)) {
      const lease = await this.locks.tryAcquire(run.program_id, 'skip-locked');
      if (!lease) continue;
      try {
        if ((await this.queries.execute(new RunUnsettledFilesQuery(run.id))) > 0) continue;
        const results = tallyAttempts(await this.queries.execute(new RunAttemptsQuery(run.id)));
        // The list was read before the lock: the run may have ended since (its holder finished it
        // and let go of the lock). Read again under the lock, or its entry would be listed twice.
        const entry = await this.runs.entryOf(run.id, results);
        if (!entry) continue;
        // Summary first, then the run's end: see RefreshSummaryCommand.
        await this.commands.execute(new RefreshSummaryCommand(run.program_id, entry));
        if (!(await this.runs.end(run.id, 'interrupted', results))) continue;
        this.events.publish(new RetryFinishedEvent(run.program_id, run.id, run.trigger, 'interrupted', results));
        this.logger.warn({ program_id: run.program_id, run_id: run.id, results }, `retry run ${run.id} interrupted`);
        ended.push(run.id);
      } finally {
        await lease.release();
      }
    }
    return ended;
  }
}
