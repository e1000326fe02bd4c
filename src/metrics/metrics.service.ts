import { Injectable } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { RetryResults, RetryTriggerName } from '../events/catalogue';

/**
 * The service's Prometheus metrics. A registry per application instance (not the global one), so
 * several instances in one process — the e2e tests — keep their own counts.
 */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();

  private readonly files = new Counter({
    name: 'ingest_files_total',
    help: 'File outcomes by stage (preprocessing, document), outcome (success, failure) and error code',
    labelNames: ['stage', 'outcome', 'error_code'] as const,
    registers: [this.registry],
  });

  private readonly retryAttempts = new Counter({
    name: 'ingest_retry_attempts_total',
    help: 'Files retried, by trigger (manual, scheduled) and stage, counted as the retry response counts them',
    labelNames: ['trigger', 'stage'] as const,
    registers: [this.registry],
  });

  private readonly retrySuccesses = new Counter({
    name: 'ingest_retry_successes_total',
    help: 'Retried files that succeeded, by trigger and stage',
    labelNames: ['trigger', 'stage'] as const,
    registers: [this.registry],
  });

  private readonly programRuns = new Histogram({
    name: 'ingest_program_run_duration_seconds',
    help: "Time from a program's creation until its first run settled, by status",
    labelNames: ['status'] as const,
    buckets: [0.5, 1, 5, 15, 60, 300, 900, 3600, 14400],
    registers: [this.registry],
  });

  private readonly fencedWrites = new Counter({
    name: 'ingest_fenced_writes_total',
    help: 'Outcome writes refused because the writer no longer held the file (its lease was taken over)',
    registers: [this.registry],
  });

  private readonly reusedExtractions = new Counter({
    name: 'ingest_extractions_reused_total',
    help: 'Files whose extraction was reused from another file of the program with the same bytes',
    registers: [this.registry],
  });

  private readonly lockConflicts = new Counter({
    name: 'ingest_lock_conflicts_total',
    help: 'Manual retries refused with 409 PROGRAM_BUSY',
    registers: [this.registry],
  });

  private readonly schedulerRounds = new Counter({
    name: 'ingest_scheduler_rounds_total',
    help: 'Retry scheduler rounds run',
    registers: [this.registry],
  });

  private readonly schedulerLag = new Gauge({
    name: 'ingest_scheduler_lag_seconds',
    help: 'How late the last scheduler round started compared with its interval',
    registers: [this.registry],
  });

  private readonly inFlight = new Gauge({
    name: 'ingest_files_in_flight',
    help: 'Files being processed or retried right now by this instance',
    registers: [this.registry],
  });

  private readonly webhookDeliveries = new Counter({
    name: 'ingest_webhook_deliveries_total',
    help: 'Webhook tries by event (program.settled, retry.finished) and outcome (delivered, retry, failed)',
    labelNames: ['event', 'outcome'] as const,
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }

  fileOutcome(stage: 'preprocessing' | 'document', errorCode?: string): void {
    this.files.inc({ stage, outcome: errorCode ? 'failure' : 'success', error_code: errorCode ?? '' });
  }

  retryFinished(trigger: RetryTriggerName, results: RetryResults): void {
    for (const stage of ['preprocessing', 'document'] as const) {
      this.retryAttempts.inc({ trigger, stage }, results[stage].retried);
      this.retrySuccesses.inc({ trigger, stage }, results[stage].success);
    }
  }

  programSettled(status: string, seconds: number): void {
    this.programRuns.observe({ status }, seconds);
  }

  extractionReused(): void {
    this.reusedExtractions.inc();
  }

  fencedWrite(): void {
    this.fencedWrites.inc();
  }

  lockConflict(): void {
    this.lockConflicts.inc();
  }

  schedulerRound(): void {
    this.schedulerRounds.inc();
  }

  schedulerLagged(seconds: number): void {
    this.schedulerLag.set(Math.max(0, seconds));
  }

  /** `retry`: a try failed and another is due; `failed`: given up (out of tries, or the host no longer allowed). */
  webhookDelivery(event: string, outcome: 'delivered' | 'retry' | 'failed'): void {
    this.webhookDeliveries.inc({ event, outcome });
  }

  /** Wraps one file's trip through the pipeline in the in-flight gauge. */
  async track<T>(work: () => Promise<T>): Promise<T> {
    this.inFlight.inc();
    try {
      return await work();
    } finally {
      this.inFlight.dec();
    }
  }
}
