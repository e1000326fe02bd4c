import { Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { isConnectionError, logMessage } from '../database/sql';
import type { RetryResults } from '../events/catalogue';
import { ProgramNotificationQuery } from '../programs/queries/program-notification.query';
import type { WebhookEventName } from './entities/webhook-delivery.entity';
import { WebhookDeliveriesRepository } from './webhook-deliveries.repository';
import { WebhookDispatcher } from './webhook-dispatcher.service';
import { retryEventId, settledEventId, webhookBody } from './webhook.policy';

export type WebhookFact =
  | { event: 'program.settled'; programId: string; status: string }
  | { event: 'retry.finished'; programId: string; runId: string; results: RetryResults };

/**
 * Turns a fact into an outbox row, off the path of the work that published it: the caller gets
 * control back at once, and whatever goes wrong here is logged, never thrown.
 */
@Injectable()
export class WebhookNotifier implements OnModuleDestroy {
  private readonly logger = new Logger(WebhookNotifier.name);
  private readonly pending = new Set<Promise<void>>();

  constructor(
    private readonly queries: QueryBus,
    private readonly deliveries: WebhookDeliveriesRepository,
    private readonly dispatcher: WebhookDispatcher,
  ) {}

  notify(n: WebhookFact): void {
    const task = this.write(n)
      .catch((e: unknown) => {
        const level = isConnectionError(e) ? 'warn' : 'error';
        this.logger[level](`program ${n.programId}: ${n.event} webhook not written: ${logMessage(e)}`);
      })
      .finally(() => this.pending.delete(task));
    this.pending.add(task);
  }

  /** Resolves once every row asked for so far is written (or given up on). */
  async flushed(): Promise<void> {
    await Promise.allSettled([...this.pending]);
  }

  /** Rows being written when the app stops are finished first, while the database is still there. */
  async onModuleDestroy(): Promise<void> {
    await this.flushed();
  }

  private async write(n: WebhookFact): Promise<void> {
    const program = await this.queries.execute(new ProgramNotificationQuery(n.programId));
    if (!program?.webhookUrl) return;
    const eventId = n.event === 'program.settled' ? settledEventId(n.programId) : retryEventId(n.runId);
    const event: WebhookEventName = n.event;
    const body = webhookBody({
      eventId,
      event,
      programId: n.programId,
      // The settle's own status is the fact: a retry that ended since may have changed the program's.
      status: n.event === 'program.settled' ? n.status : program.status,
      summary: program.summary,
      retry: n.event === 'retry.finished' ? { runId: n.runId, results: n.results } : undefined,
    });
    const inserted = await this.deliveries.insert({
      eventId,
      programId: n.programId,
      event,
      url: program.webhookUrl,
      body,
    });
    if (inserted) this.dispatcher.kick();
  }
}
