import { EntityManager } from '@mikro-orm/postgresql';
import { Injectable } from '@nestjs/common';
import type {
  RetryHistoryEntry,
  RetryHistoryWindow,
  RetryResults,
  RetryTriggerName,
  RetryTypeName,
} from '../events/catalogue';
import { RetryRun, RetryRunStatusName } from './entities/retry-run.entity';

export interface RunningRun {
  id: string;
  program_id: string;
  retry_type: RetryTypeName;
  trigger: RetryTriggerName;
}

const NO_RESULTS: RetryResults = {
  preprocessing: { retried: 0, success: 0, failed: 0 },
  document: { retried: 0, success: 0, failed: 0 },
};

/**
 * The retry runs: one row per manual or scheduled retry, `running` until it ends. Plain reads and
 * writes through the ORM (no identity map is kept: the callers are long-lived services, not
 * requests, and every read must see the database as it is now).
 */
@Injectable()
export class RetryRunsRepository {
  constructor(private readonly em: EntityManager) {}

  async start(programId: string, retryType: RetryTypeName, trigger: RetryTriggerName): Promise<string> {
    const id = await this.em
      .fork()
      .insert(RetryRun, { programId, retryType, trigger, results: NO_RESULTS, status: 'running' });
    return String(id);
  }

  /** Ends a running run; false when it had ended already (someone else noticed first). */
  async end(runId: string, status: Exclude<RetryRunStatusName, 'running'>, results: RetryResults): Promise<boolean> {
    const changed = await this.em
      .fork()
      .nativeUpdate(RetryRun, { id: runId, status: 'running' }, { status, results, finishedAt: new Date() });
    return changed > 0;
  }

  async recordSkipped(runId: string, skipped: number): Promise<void> {
    await this.em.fork().nativeUpdate(RetryRun, { id: runId }, { skipped });
  }

  /** A scheduled run that found nothing due leaves no trace: a round adds history only where it retried. */
  async discard(runId: string): Promise<void> {
    await this.em.fork().nativeDelete(RetryRun, { id: runId, status: 'running' });
  }

  async running(limit: number): Promise<RunningRun[]> {
    const runs = await this.em.fork().find(RetryRun, { status: 'running' }, { orderBy: { id: 'asc' }, limit });
    return runs.map((r) => ({ id: r.id, program_id: r.programId, retry_type: r.retryType, trigger: r.trigger }));
  }

  /**
   * Ended runs for metadata_json.retry_history: the newest `limit`, oldest first, and how many there
   * are in all (a program polled by a script for a month must not grow its JSON without bound).
   */
  async history(programId: string, limit: number): Promise<RetryHistoryWindow> {
    const ended = { programId, status: { $ne: 'running' as const } };
    // limit 0 would mean "no limit" to the ORM: nothing is inlined then, only counted.
    if (limit === 0) return { entries: [], total: await this.em.fork().count(RetryRun, ended) };
    const [runs, total] = await this.em.fork().findAndCount(RetryRun, ended, { orderBy: { id: 'desc' }, limit });
    return { entries: runs.reverse().map((r) => toEntry(r, r.results)), total };
  }

  /** A program's runs, newest first, after the run `beforeId` (exclusive) when given. */
  async page(programId: string, limit: number, beforeId?: string): Promise<RetryRun[]> {
    return this.em
      .fork()
      .find(RetryRun, beforeId === undefined ? { programId } : { programId, id: { $lt: beforeId } }, {
        orderBy: { id: 'desc' },
        limit,
      });
  }

  async one(programId: string, runId: string): Promise<RetryRun | null> {
    return this.em.fork().findOne(RetryRun, { id: runId, programId });
  }

  /**
   * The history entry a run will have once it ends with `results`; undefined when it is no longer
   * `running` (it ended meanwhile, and the history lists it already).
   */
  async entryOf(runId: string, results: RetryResults): Promise<RetryHistoryEntry | undefined> {
    const run = await this.em.fork().findOne(RetryRun, { id: runId, status: 'running' });
    return run ? toEntry(run, results) : undefined;
  }
}

const toEntry = (r: RetryRun, results: RetryResults): RetryHistoryEntry => ({
  retry_type: r.retryType,
  trigger: r.trigger,
  timestamp: r.createdAt.toISOString(),
  results,
});
