import { EventsHandler, IEventHandler } from '@nestjs/cqrs';
import { FileSettledEvent, ProgramSettledEvent, RetryFinishedEvent } from '../events/catalogue';
import { MetricsService } from './metrics.service';

/**
 * Metrics counted from the facts the work publishes. Event handlers run apart from the work that
 * published them (a throwing handler cannot fail or stall it), and these only count.
 */
@EventsHandler(FileSettledEvent)
export class FileSettledMetrics implements IEventHandler<FileSettledEvent> {
  constructor(private readonly metrics: MetricsService) {}

  handle(e: FileSettledEvent): void {
    // A pass that began at preprocessing either failed there or got through it.
    if (e.entryStage === 'preprocessing') {
      this.metrics.fileOutcome('preprocessing', e.stage === 'preprocessing' ? e.errorCode : undefined);
    }
    if (e.stage === 'document') this.metrics.fileOutcome('document', e.errorCode);
  }
}

@EventsHandler(ProgramSettledEvent)
export class ProgramSettledMetrics implements IEventHandler<ProgramSettledEvent> {
  constructor(private readonly metrics: MetricsService) {}

  handle(e: ProgramSettledEvent): void {
    this.metrics.programSettled(e.status, e.seconds);
  }
}

@EventsHandler(RetryFinishedEvent)
export class RetryFinishedMetrics implements IEventHandler<RetryFinishedEvent> {
  constructor(private readonly metrics: MetricsService) {}

  handle(e: RetryFinishedEvent): void {
    this.metrics.retryFinished(e.trigger, e.results);
  }
}

export const METRICS_HANDLERS = [FileSettledMetrics, ProgramSettledMetrics, RetryFinishedMetrics];
