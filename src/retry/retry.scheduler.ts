import { Inject, Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { randomUUID } from 'node:crypto';
import { Clock } from '../common/clock';
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

/**
 * Every RETRY_SCAN_INTERVAL_MS: resume unfinished programs nobody holds (crash recovery), then
 * retry the due, retryable failures of each program (SKIP LOCKED: a program someone works on is
 * left for the next round). Rounds never overlap within a replica.
 */
@Injectable()
export class RetryScheduler implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(RetryScheduler.name);
  private current: Promise<unknown> | undefined;
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
  }

  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    if (this.registry.doesExist('interval', INTERVAL_NAME)) this.registry.deleteInterval(INTERVAL_NAME);
    await this.current;
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

  /** One round; returns the programs it retried. Public so tests drive rounds with a controlled clock. */
  async runRound(): Promise<string[]> {
    const correlationId = `round-${randomUUID()}`;
    this.metrics.schedulerRound();
    await this.bus.publish(new UnfinishedProgramsScanRequestedEvent(meta(correlationId)));
    const now = this.clock.now();
    const { maxAttempts } = this.config.retry;
    const due = await this.programs.programsWithDueRetries(now, maxAttempts, PROGRAMS_PER_ROUND);
    const retried: string[] = [];
    for (const programId of due) {
      if (this.stopped) break;
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
    }
    if (retried.length > 0) this.logger.log(`retry round ${correlationId}: retried ${retried.length} program(s)`);
    return retried;
  }
}
