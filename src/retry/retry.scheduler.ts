import { Inject, Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { SchedulerRegistry } from '@nestjs/schedule';
import { Clock } from '../common/clock';
import { forEachBounded } from '../common/concurrency';
import type { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { MetricsService } from '../metrics/metrics.service';
import { DueRetryProgramsQuery } from '../programs/queries/due-retry-programs.query';
import { InterruptedRuns } from './use-cases/interrupted-runs';
import { RunRetry } from './use-cases/run-retry.use-case';

// Programs looked at per round; the rest are due again next round.
const PROGRAMS_PER_ROUND = 100;
const INTERVAL_NAME = 'retry-scan';
const SWEEP_INTERVAL_NAME = 'interrupted-runs-sweep';

/**
 * Every RETRY_SCAN_INTERVAL_MS: retry the due, retryable failures of each program, the longest
 * overdue first, PROGRAMS_IN_PARALLEL at a time (SKIP LOCKED: a program someone retries is left for
 * the next round), so one slow program cannot hold up the others. Rounds never overlap within a
 * replica. Runs whose holder died are ended by a sweep on a timer of its own, so a long retry round
 * never delays it. (Files need no recovery scan: an expired lease frees them for any worker.)
 */
@Injectable()
export class RetryScheduler implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(RetryScheduler.name);
  private current: Promise<unknown> | undefined;
  private sweeping: Promise<unknown> | undefined;
  private lastTick = Date.now();
  private stopped = false;

  constructor(
    private readonly retries: RunRetry,
    private readonly interrupted: InterruptedRuns,
    private readonly queries: QueryBus,
    private readonly clock: Clock,
    private readonly registry: SchedulerRegistry,
    private readonly metrics: MetricsService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onModuleInit(): void {
    // The sweep is crash recovery, not scheduling: a run whose holder died must end `interrupted`
    // (a client following it with wait=false would otherwise wait for ever) on every deployment,
    // also one whose replicas all run with the scheduler off.
    this.registry.addInterval(
      SWEEP_INTERVAL_NAME,
      setInterval(() => this.sweepTick(), this.config.retry.scanIntervalMs),
    );
    if (!this.config.retry.schedulerEnabled) {
      this.logger.log('retry scheduler disabled (RETRY_SCHEDULER_ENABLED=false); interrupted runs are still ended');
      return;
    }
    this.registry.addInterval(
      INTERVAL_NAME,
      setInterval(() => this.tick(), this.config.retry.scanIntervalMs),
    );
  }

  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    for (const name of [INTERVAL_NAME, SWEEP_INTERVAL_NAME]) {
      if (this.registry.doesExist('interval', name)) this.registry.deleteInterval(name);
    }
    await Promise.all([this.current, this.sweeping]);
  }

  private sweepTick(): void {
    if (this.sweeping || this.stopped) return;
    this.sweeping = this.interrupted
      .sweep()
      .catch((e: unknown) => this.logger.error(`interrupted-runs sweep failed: ${(e as Error).message}`))
      .finally(() => (this.sweeping = undefined));
  }

  private tick(): void {
    const now = Date.now();
    const lagSeconds = (now - this.lastTick - this.config.retry.scanIntervalMs) / 1000;
    this.lastTick = now;
    this.metrics.schedulerLagged(lagSeconds);
    if (this.current || this.stopped) return;
    this.current = this.runRound()
      .catch((e: unknown) => this.logger.error(`retry round failed: ${(e as Error).message}`, (e as Error).stack))
      .finally(() => (this.current = undefined));
  }

  /**
   * One round (interrupted runs first, then the due retries); returns the programs it retried.
   * Public so tests drive rounds with a controlled clock.
   */
  async runRound(): Promise<string[]> {
    this.metrics.schedulerRound();
    await this.interrupted.sweep();
    const now = this.clock.now();
    const { maxAttempts } = this.config.retry;
    const due = await this.queries.execute(new DueRetryProgramsQuery(now, maxAttempts, PROGRAMS_PER_ROUND));
    const retried: string[] = [];
    const stop = new AbortController();
    await forEachBounded(due, this.config.programsInParallel, stop.signal, async (programId) => {
      if (this.stopped) return stop.abort();
      try {
        const done = await this.retries.run({
          programId,
          retryType: 'all',
          trigger: 'scheduled',
          due: { dueBy: now, maxAttempts },
        });
        if (done) retried.push(programId);
      } catch (e) {
        // One program's trouble must not stop the round for the others; it is due again next round.
        this.logger.error(`scheduled retry of ${programId} failed: ${(e as Error).message}`, (e as Error).stack);
      }
    });
    if (retried.length > 0) this.logger.log(`retry round: retried ${retried.length} program(s)`);
    return retried;
  }
}
