import { Inject, Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { randomUUID } from 'node:crypto';
import { Clock } from '../common/clock';
import { forEachBounded } from '../common/concurrency';
import type { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { meta } from '../events/bus-event';
import { ProgramRetryRequestedEvent, UnfinishedProgramsScanRequestedEvent } from '../events/catalogue';
import { EventBus } from '../events/event-bus';
import { MetricsService } from '../metrics/metrics.service';
import { ProgramsQueryService } from '../programs/programs-query.service';

// Programs looked at per round; the rest are due again next round.
const PROGRAMS_PER_ROUND = 100;
const INTERVAL_NAME = 'retry-scan';
const RECOVERY_INTERVAL_NAME = 'recovery-scan';

/**
 * Every RETRY_SCAN_INTERVAL_MS: retry the due, retryable failures of each program, the longest
 * overdue first, PROGRAMS_IN_PARALLEL at a time (SKIP LOCKED: a program someone works on is left for
 * the next round), so one slow program cannot hold up the others. Rounds never overlap within a
 * replica. Crash recovery (resuming unfinished programs nobody holds) runs on a timer of its own, so
 * a long retry round never delays it.
 */
@Injectable()
export class RetryScheduler implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(RetryScheduler.name);
  private current: Promise<unknown> | undefined;
  private recovering: Promise<unknown> | undefined;
  private lastTick = Date.now();
  private stopped = false;

  constructor(
    private readonly programs: ProgramsQueryService,
    private readonly bus: EventBus,
    private readonly clock: Clock,
    private readonly registry: SchedulerRegistry,
    private readonly metrics: MetricsService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onModuleInit(): void {
    if (!this.config.retry.schedulerEnabled) {
      this.logger.log('retry scheduler disabled (RETRY_SCHEDULER_ENABLED=false)');
      return;
    }
    const timer = setInterval(() => this.tick(), this.config.retry.scanIntervalMs);
    this.registry.addInterval(INTERVAL_NAME, timer);
    const recovery = setInterval(() => this.recoveryTick(), this.config.retry.scanIntervalMs);
    this.registry.addInterval(RECOVERY_INTERVAL_NAME, recovery);
  }

  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    for (const name of [INTERVAL_NAME, RECOVERY_INTERVAL_NAME]) {
      if (this.registry.doesExist('interval', name)) this.registry.deleteInterval(name);
    }
    await Promise.all([this.current, this.recovering]);
  }

  private recoveryTick(): void {
    if (this.recovering || this.stopped) return;
    this.recovering = this.recover(`recovery-${randomUUID()}`)
      .catch((e: unknown) => this.logger.error(`recovery scan failed: ${(e as Error).message}`, (e as Error).stack))
      .finally(() => (this.recovering = undefined));
  }

  /** Queues unfinished programs nobody holds for this replica's runner. Public for tests. */
  async recover(correlationId: string): Promise<void> {
    await this.bus.publish(new UnfinishedProgramsScanRequestedEvent(meta(correlationId)));
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
   * One round (recovery first, then the due retries); returns the programs it retried. Public so
   * tests drive rounds with a controlled clock.
   */
  async runRound(): Promise<string[]> {
    const correlationId = `round-${randomUUID()}`;
    this.metrics.schedulerRound();
    await this.recover(correlationId);
    const now = this.clock.now();
    const { maxAttempts } = this.config.retry;
    const due = await this.programs.programsWithDueRetries(now, maxAttempts, PROGRAMS_PER_ROUND);
    const retried: string[] = [];
    const stop = new AbortController();
    await forEachBounded(due, this.config.programsInParallel, stop.signal, async (programId) => {
      if (this.stopped) return stop.abort();
      try {
        const results = await this.bus.request(
          new ProgramRetryRequestedEvent({
            programId,
            retryType: 'all',
            trigger: 'scheduled',
            dueBy: now.toISOString(),
            maxAttempts,
            ...meta(correlationId),
          }),
        );
        if (results) retried.push(programId);
      } catch (e) {
        // One program's trouble must not stop the round for the others; it is due again next round.
        this.logger.error(`scheduled retry of ${programId} failed: ${(e as Error).message}`, (e as Error).stack);
      }
    });
    if (retried.length > 0) this.logger.log(`retry round ${correlationId}: retried ${retried.length} program(s)`);
    return retried;
  }
}
