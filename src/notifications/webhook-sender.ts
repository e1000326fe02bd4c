import { Inject, Injectable } from '@nestjs/common';
import type { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { describeAnswer, describeTransportError, signature } from './webhook.policy';

/** How long one try may take, answer included. */
export const WEBHOOK_TIMEOUT_MS = 10_000;

export type TryOutcome = { delivered: true } | { delivered: false; error: string };

/** One POST of a stored body to its receiver. Never throws for the receiver's sake. */
@Injectable()
export class WebhookSender {
  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  /**
   * `stop` ends the try early (the replica is stopping); the caller tells that apart by the signal,
   * since what happened to the request is then unknown.
   */
  async post(delivery: { event_id: string; url: string; body: string }, stop: AbortSignal): Promise<TryOutcome> {
    const bytes = Buffer.from(delivery.body, 'utf8');
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'user-agent': 'batch-ingest-webhooks',
      'x-event-id': delivery.event_id,
    };
    const { secret } = this.config.webhooks;
    if (secret) headers['x-signature'] = signature(bytes, secret);
    try {
      const res = await fetch(delivery.url, {
        method: 'POST',
        headers,
        body: bytes,
        // A redirect could lead anywhere, past the allow-list: it is an answer like any other non-2xx.
        redirect: 'manual',
        signal: AbortSignal.any([AbortSignal.timeout(WEBHOOK_TIMEOUT_MS), stop]),
      });
      // The receiver's body is not ours to keep; dropping it frees the connection.
      await res.body?.cancel().catch(() => undefined);
      if (res.status >= 200 && res.status < 300) return { delivered: true };
      return { delivered: false, error: describeAnswer(res.status, res.statusText) };
    } catch (e) {
      return { delivered: false, error: describeTransportError(e, WEBHOOK_TIMEOUT_MS) };
    }
  }
}
