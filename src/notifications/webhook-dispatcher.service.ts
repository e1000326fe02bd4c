import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { Lifecycle } from '../common/lifecycle';
import { PollLoop } from '../common/poll-loop';
import type { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { isConnectionError, logMessage } from '../database/sql';
import { MetricsService } from '../metrics/metrics.service';
import { ClaimedDelivery, WebhookDeliveriesRepository } from './webhook-deliveries.repository';
import { WEBHOOK_TIMEOUT_MS, WebhookSender } from './webhook-sender';
import { afterFailedTry, isAllowedTarget } from './webhook.policy';

// How often an idle replica looks for due deliveries: rows written here and retries scheduled here
// wake it at once; this only bounds how late a row written or left by another replica goes out.
const POLL_MS = 1_000;
// Tries in flight per replica: a slow receiver holds a slot, never the work.
const CONCURRENCY = 8;
// Longer than a try can take, so a row is never sent by two replicas at once; a replica that dies
// mid-try leaves its rows due again after this.
const LEASE_MS = WEBHOOK_TIMEOUT_MS * 3;

/**
 * Sends the webhook outbox, on every replica: claims due rows under a lease (SKIP LOCKED, so
 * replicas share them), POSTs each on a loop of its own with bounded concurrency, and records the
 * outcome — delivered, due again after the backoff, or failed after the last try.
 */
@Injectable()
export class WebhookDispatcher implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(WebhookDispatcher.name);
  private readonly stopping = new AbortController();
  private readonly inflight = new Set<Promise<void>>();
  // Wake-ups for retries this replica scheduled, cleared on shutdown.
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly loop = new PollLoop(
    POLL_MS,
    () => this.fillSlots(),
    (e) => {
      const level = isConnectionError(e) ? 'warn' : 'error';
      this.logger[level](`looking for due webhook deliveries failed: ${logMessage(e)}`);
    },
  );

  constructor(
    private readonly deliveries: WebhookDeliveriesRepository,
    private readonly sender: WebhookSender,
    private readonly metrics: MetricsService,
    private readonly lifecycle: Lifecycle,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.loop.start();
  }

  /** A row was written or fell due here: look now, not at the next poll. */
  kick(): void {
    this.loop.kick();
  }

  /**
   * Stops claiming and cuts tries in flight short; their rows are handed back untried, so another
   * replica sends them at once (the receiver may see one twice: it deduplicates by event_id).
   */
  async onModuleDestroy(): Promise<void> {
    this.stopping.abort();
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    await this.loop.stop();
    await Promise.allSettled([...this.inflight]);
  }

  private async fillSlots(): Promise<void> {
    if (this.lifecycle.shuttingDown || this.stopping.signal.aborted) return;
    const free = CONCURRENCY - this.inflight.size;
    // Every slot busy: a finishing try kicks the loop.
    if (free <= 0) return;
    for (const row of await this.deliveries.claimDue(free, LEASE_MS)) {
      const task = this.deliver(row)
        .catch((e: unknown) => {
          // The row stays leased and is due again when the lease runs out.
          const level = isConnectionError(e) ? 'warn' : 'error';
          this.logger[level](`webhook ${row.event_id}: recording the try failed: ${logMessage(e)}`);
        })
        .finally(() => {
          this.inflight.delete(task);
          this.kick();
        });
      this.inflight.add(task);
    }
  }

  private async deliver(row: ClaimedDelivery): Promise<void> {
    if (!isAllowedTarget(row.url, this.config.webhooks.allowedHosts)) {
      if (await this.deliveries.giveUp(row, 'host not in WEBHOOK_ALLOWED_HOSTS')) {
        this.metrics.webhookDelivery(row.event, 'failed');
        this.logger.warn(`webhook ${row.event_id}: target host no longer allowed; not sent`);
      }
      return;
    }
    const outcome = await this.sender.post(row, this.stopping.signal);
    // Cut short by the shutdown, not refused by the receiver: no try to count.
    if (!outcome.delivered && this.stopping.signal.aborted) {
      await this.deliveries.release(row);
      return;
    }
    if (outcome.delivered) {
      if (await this.deliveries.recordDelivered(row)) this.metrics.webhookDelivery(row.event, 'delivered');
      return;
    }
    const tries = row.attempts + 1;
    const next = afterFailedTry(tries, this.config.webhooks.retryBaseMs);
    if (!(await this.deliveries.recordFailedTry(row, next, outcome.error))) return;
    if (next.status === 'failed') {
      this.metrics.webhookDelivery(row.event, 'failed');
      this.logger.warn(`webhook ${row.event_id}: gave up after ${tries} tries (${outcome.error})`);
      return;
    }
    this.metrics.webhookDelivery(row.event, 'retry');
    this.logger.debug(`webhook ${row.event_id}: try ${tries} failed (${outcome.error}); next in ${next.delayMs} ms`);
    // Due again soon: wake for it here rather than wait for the poll (another replica may take it).
    if (next.delayMs < POLL_MS) this.wakeAfter(next.delayMs);
  }

  private wakeAfter(ms: number): void {
    if (this.stopping.signal.aborted) return;
    const t = setTimeout(() => {
      this.timers.delete(t);
      this.kick();
    }, ms);
    this.timers.add(t);
  }
}
