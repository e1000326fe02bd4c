import { Entity, Enum, Index, ManyToOne, OptionalProps, PrimaryKey, Property } from '@mikro-orm/core';

export const WEBHOOK_EVENTS = ['program.settled', 'retry.finished'] as const;
export type WebhookEventName = (typeof WEBHOOK_EVENTS)[number];
export const DELIVERY_STATUSES = ['pending', 'delivered', 'failed'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

/**
 * One notification (SPEC §8.5), an outbox row: written when the fact happens, POSTed by whichever
 * replica finds it due, retried with backoff until delivered or out of tries. The body is stored as
 * sent, so every redelivery carries the same bytes (and signature) and the same event_id.
 */
@Entity({ tableName: 'webhook_deliveries' })
@Index({
  name: 'webhook_deliveries_due_idx',
  expression:
    "CREATE INDEX webhook_deliveries_due_idx ON webhook_deliveries USING btree (next_attempt_at) WHERE (status = 'pending'::text)",
})
@Index({ name: 'webhook_deliveries_program_idx', properties: ['programId'] })
export class WebhookDelivery {
  [OptionalProps]?: 'status' | 'attempts' | 'nextAttemptAt' | 'createdAt';

  @PrimaryKey({ type: 'text' })
  eventId!: string;

  // Program is named, not imported: notifications may not reach into the programs module.
  @ManyToOne({
    entity: 'Program',
    mapToPk: true,
    fieldName: 'program_id',
    foreignKeyName: 'webhook_deliveries_program_id_fkey',
    deleteRule: 'cascade',
    updateRule: 'no action',
  })
  programId!: string;

  @Enum({ items: [...WEBHOOK_EVENTS], columnType: 'text' })
  event!: WebhookEventName;

  @Property({ type: 'text' })
  url!: string;

  @Property({ type: 'text' })
  body!: string;

  @Enum({ items: [...DELIVERY_STATUSES], columnType: 'text', default: 'pending' })
  status!: DeliveryStatus;

  @Property({ type: 'integer', default: 0 })
  attempts!: number;

  @Property({ type: 'timestamptz', defaultRaw: 'now()' })
  nextAttemptAt!: Date;

  @Property({ type: 'text', nullable: true })
  lastError?: string | null;

  @Property({ type: 'timestamptz', defaultRaw: 'now()' })
  createdAt!: Date;

  @Property({ type: 'timestamptz', nullable: true })
  deliveredAt?: Date | null;
}
