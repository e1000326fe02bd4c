/** Pure retry maths shared by whoever records a failure and by the scheduler that acts on it. */
export interface BackoffSettings {
  maxAttempts: number;
  backoffBaseMs: number;
  backoffMaxMs: number;
}

export interface RetryPlan {
  nextRetryAt: Date | null;
  exhausted: boolean;
}

/** Upper bound of the delay before automatic attempt `attempt + 1`: base·2^attempt, capped. */
export function backoffCeilingMs(attempt: number, settings: BackoffSettings): number {
  // 2^attempt overflows to Infinity long before it matters; min() keeps the cap exact.
  return Math.min(settings.backoffMaxMs, settings.backoffBaseMs * 2 ** Math.max(0, attempt));
}

/**
 * "Full jitter": a uniform delay in [0, ceiling). Spreads retries of many files that failed together
 * (an S3 outage) instead of sending them back in one burst.
 */
export function planRetry(
  failure: { retryable: boolean; retryCount: number },
  settings: BackoffSettings,
  now: Date,
  random: () => number = Math.random,
): RetryPlan {
  if (!failure.retryable) return { nextRetryAt: null, exhausted: false };
  if (failure.retryCount >= settings.maxAttempts) return { nextRetryAt: null, exhausted: true };
  const delay = Math.floor(random() * backoffCeilingMs(failure.retryCount, settings));
  return { nextRetryAt: new Date(now.getTime() + delay), exhausted: false };
}
