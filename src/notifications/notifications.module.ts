import { Module } from '@nestjs/common';
import { WEBHOOK_EVENT_HANDLERS } from './handlers/webhook-events.handlers';
import { WebhookDeliveriesRepository } from './webhook-deliveries.repository';
import { WebhookDispatcher } from './webhook-dispatcher.service';
import { WebhookNotifier } from './webhook-notifier.service';
import { WebhookSender } from './webhook-sender';

/**
 * Webhook notifications (SPEC §8.5): a settled program or an ended retry run becomes an outbox row
 * (webhook_deliveries), which every replica's dispatcher sends, signed, with backoff, at least once.
 * Programs are read only through ProgramNotificationQuery.
 */
@Module({
  providers: [
    WebhookDeliveriesRepository,
    WebhookSender,
    WebhookDispatcher,
    WebhookNotifier,
    ...WEBHOOK_EVENT_HANDLERS,
  ],
})
export class NotificationsModule {}
