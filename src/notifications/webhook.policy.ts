import { createHmac } from 'node:crypto';
import type { RetryResults } from '../events/catalogue';
import type { StageTotals } from '../programs/queries/program-notification.query';
import type { WebhookEventName } from './entities/webhook-delivery.entity';

/** Pure webhook rules (SPEC §8.5, §8.9): event ids, bodies, signatures, the allow-list, redelivery. */

/** Tries in all, the first included. */
export const MAX_DELIVERY_ATTEMPTS = 5;

// Receivers deduplicate by event_id, so the id must come from the fact itself: the same fact
// published twice (a replayed event, two replicas noticing one run) names the same row.
export const settledEventId = (programId: string): string => `evt_settled_${programId}`;
export const retryEventId = (runId: string): string => `evt_retry_${runId}`;

export interface WebhookPayload {
  eventId: string;
  event: WebhookEventName;
  programId: string;
  /** The program's status after the event. */
  status: string;
  summary: { preprocessing: StageTotals; document_storage: StageTotals };
  /** retry.finished only. */
  retry?: { runId: string; results: RetryResults };
}

/** The body as sent, stored once: every redelivery carries these exact bytes. */
export function webhookBody(p: WebhookPayload): string {
  return JSON.stringify({
    event_id: p.eventId,
    event: p.event,
    program_id: p.programId,
    status: p.status,
    summary: {
      preprocessing: pick(p.summary.preprocessing),
      document_storage: pick(p.summary.document_storage),
    },
    ...(p.retry ? { retry_id: p.retry.runId, results: p.retry.results } : {}),
  });
}

const pick = ({ total, success, failed }: StageTotals): StageTotals => ({ total, success, failed });

/** `X-Signature`: HMAC-SHA256 of the exact body bytes, hex, with the algorithm named. */
export function signature(body: string | Buffer, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/**
 * Whether a stored URL may still be POSTed to: http(s), no credentials, host in the allow-list as
 * it is now. Checked again at send time because the list may have shrunk since the row was made.
 */
export function isAllowedTarget(raw: string, allowedHosts: readonly string[]): boolean {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return false;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return false;
  if (url.username !== '' || url.password !== '') return false;
  return allowedHosts.includes(url.hostname.toLowerCase());
}

export type AfterFailure = { status: 'pending'; delayMs: number } | { status: 'failed' };

/**
 * What follows a failed try, given how many tries have now been made: the next one after
 * base·2^(tries−1) (1 s, 2 s, 4 s, 8 s at the default base), or none after the fifth.
 */
export function afterFailedTry(triesMade: number, baseMs: number): AfterFailure {
  if (triesMade >= MAX_DELIVERY_ATTEMPTS) return { status: 'failed' };
  return { status: 'pending', delayMs: baseMs * 2 ** Math.max(0, triesMade - 1) };
}

const MAX_STATUS_TEXT = 60;

/**
 * last_error for an answer that was not 2xx: the status and at most a short reason phrase. The
 * response body is never read into it: it is the receiver's, and could be anything.
 */
export function describeAnswer(status: number, statusText: string): string {
  const reason = statusText
    .replace(/[^\x20-\x7e]/g, '')
    .trim()
    .slice(0, MAX_STATUS_TEXT);
  const base = reason ? `HTTP ${status} ${reason}` : `HTTP ${status}`;
  return status >= 300 && status < 400 ? `${base} (redirects are not followed)` : base;
}

/** last_error for a try that got no answer: the kind of trouble, never the address. */
export function describeTransportError(e: unknown, timeoutMs: number): string {
  const err = e as { name?: unknown; cause?: { code?: unknown; name?: unknown } } | undefined;
  if (err?.name === 'TimeoutError' || err?.cause?.name === 'TimeoutError') return `no answer within ${timeoutMs} ms`;
  const code = err?.cause?.code;
  if (typeof code === 'string' && /^[A-Z0-9_]{2,40}$/.test(code)) return `request failed (${code})`;
  return 'request failed';
}
