import { EventsHandler, IEventHandler } from '@nestjs/cqrs';
import { ProgramSettledEvent, RetryFinishedEvent } from '../../events/catalogue';
import { WebhookNotifier } from '../webhook-notifier.service';

/**
 * The facts that are notified (SPEC §8.5). Each hands its event to the notifier and returns: the
 * publisher runs these handlers inline, so nothing here may wait on I/O or throw.
 */
@EventsHandler(ProgramSettledEvent)
export class ProgramSettledWebhook implements IEventHandler<ProgramSettledEvent> {
  constructor(private readonly notifier: WebhookNotifier) {}

  handle(e: ProgramSettledEvent): void {
    this.notifier.notify({ event: 'program.settled', programId: e.programId, status: e.status });
  }
}

@EventsHandler(RetryFinishedEvent)
export class RetryFinishedWebhook implements IEventHandler<RetryFinishedEvent> {
  constructor(private readonly notifier: WebhookNotifier) {}

  handle(e: RetryFinishedEvent): void {
    this.notifier.notify({ event: 'retry.finished', programId: e.programId, runId: e.runId, results: e.results });
  }
}

export const WEBHOOK_EVENT_HANDLERS = [ProgramSettledWebhook, RetryFinishedWebhook];
