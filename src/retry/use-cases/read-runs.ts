import { Injectable } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import type { Identity } from '../../common/auth/identity';
import { decodeCursor, encodeCursor, Page } from '../../common/paging/cursor';
import { ProgramStatusQuery } from '../../programs/queries/program-status.query';
import { RunAttemptsQuery } from '../../programs/queries/run-progress.query';
import type { RetryRunDto } from '../dto/retry.dto';
import { ProgramNotFoundError, RetryRunNotFoundError } from '../errors/retry.errors';
import type { RetryRun } from '../entities/retry-run.entity';
import { RetryRunsRepository } from '../retry-runs.repository';
import { tallyAttempts } from '../tally.policy';

// Run ids are bigserial: digits only, and within what int8 holds, or they never reach SQL.
const RUN_ID_RE = /^[1-9]\d{0,17}$/;
const isRunCursor = (v: Record<string, unknown>): v is { r: string } => typeof v.r === 'string' && RUN_ID_RE.test(v.r);

/** Retry runs as resources (SPEC §8.3): a program's runs, newest first, and one run. */
@Injectable()
export class ReadRetryRuns {
  constructor(
    private readonly runs: RetryRunsRepository,
    private readonly queries: QueryBus,
  ) {}

  async list(programId: string, caller: Identity, limit: number, cursor?: string): Promise<Page<RetryRunDto>> {
    await this.assertOwned(programId, caller);
    const before = decodeCursor(cursor, isRunCursor)?.r;
    const rows = await this.runs.page(programId, limit + 1, before);
    const page = rows.slice(0, limit);
    return {
      items: await Promise.all(page.map((r) => this.toDto(r))),
      next_cursor: rows.length > limit ? encodeCursor({ r: page[page.length - 1].id }) : null,
    };
  }

  async one(programId: string, caller: Identity, runId: string): Promise<RetryRunDto> {
    await this.assertOwned(programId, caller);
    const run = RUN_ID_RE.test(runId) ? await this.runs.one(programId, runId) : null;
    if (!run) throw new RetryRunNotFoundError();
    return this.toDto(run);
  }

  private async assertOwned(programId: string, caller: Identity): Promise<void> {
    if (!(await this.queries.execute(new ProgramStatusQuery(programId, caller)))) throw new ProgramNotFoundError();
  }

  /** A running run's counts are tallied live from its attempts: a poller sees it move. */
  private async toDto(r: RetryRun): Promise<RetryRunDto> {
    const results =
      r.status === 'running' ? tallyAttempts(await this.queries.execute(new RunAttemptsQuery(r.id))) : r.results;
    return {
      retry_id: r.id,
      program_id: r.programId,
      retry_type: r.retryType,
      trigger: r.trigger,
      status: r.status,
      started_at: r.createdAt.toISOString(),
      finished_at: r.finishedAt ? r.finishedAt.toISOString() : null,
      results,
      skipped: r.skipped,
    };
  }
}
