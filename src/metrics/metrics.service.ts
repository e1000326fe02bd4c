import { Injectable } from '@nestjs/common';
import { SpanStatusCode, trace } from '@opentelemetry/api';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { RetryResults, RetryTriggerName } from '../events/catalogue';

// The package's own version: dist/ sits beside package.json in every layout the service runs from.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const BUILD_VERSION = (require('../../package.json') as { version: string }).version;

const tracer = trace.getTracer('batch-ingest');

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

  private readonly httpRequests = new Counter({
    name: 'http_requests_total',
    help: 'HTTP requests answered, by method, route template and status code',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [this.registry],
  });

  private readonly httpDuration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'Time from a request arriving until its answer was sent, by method, route template and status class',
    labelNames: ['method', 'route', 'status_class'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });

  private readonly stageDuration = new Histogram({
    name: 'ingest_stage_duration_seconds',
    help: 'Time one file spent in a stage (preprocessing: read, extract, write its JSON; document: store its Document), by outcome',
    labelNames: ['stage', 'outcome'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
    new Gauge({
      name: 'ingest_build_info',
      help: 'Always 1; the labels say which build and runtime this instance runs',
      labelNames: ['version', 'node'] as const,
      registers: [this.registry],
    }).set({ version: BUILD_VERSION, node: process.version }, 1);
  }

  /**
   * One answered request. `route` is the route template (`/v1/programs/:programId`), never the
   * path itself: ids in a label would grow the series without bound.
   */
  httpRequest(method: string, route: string, status: number, seconds: number): void {
    this.httpRequests.inc({ method, route, status: String(status) });
    this.httpDuration.observe({ method, route, status_class: `${Math.floor(status / 100)}xx` }, seconds);
  }

  /**
   * Times one stage of one file (`failed` says how it ended), as a histogram and as a trace span
   * (`file.preprocessing` / `file.document`, a no-op unless tracing is configured) whose children are
   * the stage's S3 calls and SQL.
   */
  async timeStage<T>(
    stage: 'preprocessing' | 'document',
    work: () => Promise<T>,
    failed: (r: T) => boolean,
    file?: { programId: string; sourceIndex: number },
  ): Promise<T> {
    const end = this.stageDuration.startTimer({ stage });
    return tracer.startActiveSpan(`file.${stage}`, async (span) => {
      if (file) span.setAttributes({ 'ingest.program_id': file.programId, 'ingest.source_index': file.sourceIndex });
      try {
        const result = await work();
        const outcome = failed(result) ? 'failure' : 'success';
        end({ outcome });
        span.setAttribute('ingest.outcome', outcome);
        return result;
      } catch (e) {
        end({ outcome: 'error' });
        span.setStatus({ code: SpanStatusCode.ERROR });
        throw e;
      } finally {
        span.end();
      }
    });
  }

  /** A gauge of the caller's, on this instance's registry, computed when scraped. */
  registerGauge(name: string, help: string, labelNames: string[], collect: (g: Gauge) => Promise<void>): void {
    new Gauge({
      name,
      help,
      labelNames,
      registers: [this.registry],
      async collect() {
        await collect(this);
      },
    });
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
