import { EntityManager } from '@mikro-orm/postgresql';
import { Injectable } from '@nestjs/common';
import type { WebhookEventName } from './entities/webhook-delivery.entity';

export interface NewDelivery {
  eventId: string;
  programId: string;
  event: WebhookEventName;
  url: string;
  body: string;
}

/** A row taken for one try. `lease` fences the outcome write: see `claimDue`. */
export interface ClaimedDelivery {
  event_id: string;
  event: WebhookEventName;
  url: string;
  body: string;
  /** Tries made before this one. */
  attempts: number;
  /** next_attempt_at as the claim set it, exactly (text keeps the microseconds a Date drops). */
  lease: string;
}

/** The webhook outbox (webhook_deliveries): every statement that reads or writes it. */
@Injectable()
export class WebhookDeliveriesRepository {
  constructor(private readonly em: EntityManager) {}

  /** One row per event_id, ever: a fact seen twice is delivered once. True when this call made it. */
  async insert(d: NewDelivery): Promise<boolean> {
    const rows = await this.em.execute<{ event_id: string }[]>(
      `INSERT INTO webhook_deliveries (event_id, program_id, event, url, body) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (event_id) DO NOTHING RETURNING event_id`,
      [d.eventId, d.programId, d.event, d.url, d.body],
    );
    return rows.length > 0;
  }

  /**
   * Takes up to `limit` due pending rows, oldest due first, and moves their next_attempt_at
   * `leaseMs` ahead in the same statement: while this replica sends, no other finds them due, and
   * should it die mid-send they are due again once the lease has passed (at least once).
   */
  async claimDue(limit: number, leaseMs: number): Promise<ClaimedDelivery[]> {
    return this.em.execute<ClaimedDelivery[]>(
      `UPDATE webhook_deliveries d SET next_attempt_at = now() + ? * interval '1 millisecond'
       FROM (SELECT event_id FROM webhook_deliveries
             WHERE status = 'pending' AND next_attempt_at <= now()
             ORDER BY next_attempt_at LIMIT ? FOR UPDATE SKIP LOCKED) due
       WHERE d.event_id = due.event_id
       RETURNING d.event_id, d.event, d.url, d.body, d.attempts, d.next_attempt_at::text AS lease`,
      [leaseMs, limit],
    );
  }

  /**
   * Records a try's outcome, only while the row is still under the lease this replica took: a
   * sender that outlived its lease (a stalled process) must not overwrite a later try's record.
   * True when written.
   */
  async recordDelivered(d: ClaimedDelivery): Promise<boolean> {
    const rows = await this.em.execute<{ event_id: string }[]>(
      `UPDATE webhook_deliveries
       SET status = 'delivered', attempts = attempts + 1, delivered_at = now(), last_error = NULL
       WHERE event_id = ? AND status = 'pending' AND next_attempt_at = ?::timestamptz
       RETURNING event_id`,
      [d.event_id, d.lease],
    );
    return rows.length > 0;
  }

  /** A failed try: due again after `delayMs`, or `failed` for good. Fenced like recordDelivered. */
  async recordFailedTry(
    d: ClaimedDelivery,
    next: { status: 'pending'; delayMs: number } | { status: 'failed' },
    error: string,
  ): Promise<boolean> {
    const rows = await this.em.execute<{ event_id: string }[]>(
      `UPDATE webhook_deliveries
       SET status = ?, attempts = attempts + 1, last_error = ?,
           next_attempt_at = now() + ? * interval '1 millisecond'
       WHERE event_id = ? AND status = 'pending' AND next_attempt_at = ?::timestamptz
       RETURNING event_id`,
      [next.status, error, next.status === 'pending' ? next.delayMs : 0, d.event_id, d.lease],
    );
    return rows.length > 0;
  }

  /** Gives a row up without a try (its target is no longer allowed): failed, tries unchanged. */
  async giveUp(d: ClaimedDelivery, error: string): Promise<boolean> {
    const rows = await this.em.execute<{ event_id: string }[]>(
      `UPDATE webhook_deliveries SET status = 'failed', last_error = ?
       WHERE event_id = ? AND status = 'pending' AND next_attempt_at = ?::timestamptz
       RETURNING event_id`,
      [error, d.event_id, d.lease],
    );
    return rows.length > 0;
  }

  /** Hands a claimed row back untried (this replica is stopping): due again at once, for anyone. */
  async release(d: ClaimedDelivery): Promise<void> {
    await this.em.execute(
      `UPDATE webhook_deliveries SET next_attempt_at = now()
       WHERE event_id = ? AND status = 'pending' AND next_attempt_at = ?::timestamptz`,
      [d.event_id, d.lease],
    );
  }
}
