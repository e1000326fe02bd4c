import { backoffCeilingMs, planRetry } from './backoff.policy';

describe('backoff policy', () => {
  const settings = { maxAttempts: 3, backoffBaseMs: 1_000, backoffMaxMs: 5_000 };
  const now = new Date('2026-01-01T00:00:00.000Z');

  it('doubles the ceiling per attempt and caps it', () => {
    expect([0, 1, 2, 3, 10, 5000].map((a) => backoffCeilingMs(a, settings))).toEqual([
      1_000, 2_000, 4_000, 5_000, 5_000, 5_000,
    ]);
  });

  it('draws a full-jitter delay below the ceiling', () => {
    const sut = (random: number, retryCount: number) =>
      planRetry({ retryable: true, retryCount }, settings, now, () => random).nextRetryAt!.getTime() - now.getTime();
    expect(sut(0, 0)).toBe(0);
    expect(sut(0.5, 0)).toBe(500);
    expect(sut(0.999, 1)).toBe(1_998);
    expect(sut(0.5, 2)).toBe(2_000);
  });

  it('marks a file exhausted once it has used its automatic attempts', () => {
    expect(planRetry({ retryable: true, retryCount: 3 }, settings, now)).toEqual({
      nextRetryAt: null,
      exhausted: true,
    });
    expect(planRetry({ retryable: true, retryCount: 2 }, settings, now).exhausted).toBe(false);
  });

  it('never schedules a non-retryable failure and never calls it exhausted', () => {
    expect(planRetry({ retryable: false, retryCount: 99 }, settings, now)).toEqual({
      nextRetryAt: null,
      exhausted: false,
    });
  });
});
