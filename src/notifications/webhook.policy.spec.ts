import { createHmac } from 'node:crypto';
import {
  afterFailedTry,
  describeAnswer,
  describeTransportError,
  isAllowedTarget,
  MAX_DELIVERY_ATTEMPTS,
  retryEventId,
  settledEventId,
  signature,
  webhookBody,
} from './webhook.policy';

describe('webhook policy', () => {
  const summary = {
    preprocessing: { total: 3, success: 2, failed: 1 },
    document_storage: { total: 2, success: 2, failed: 0 },
  };

  it('waits base·2^(tries−1) between tries and gives up after the fifth', () => {
    const delays = [1, 2, 3, 4].map((tries) => afterFailedTry(tries, 1_000));
    expect(delays).toEqual([
      { status: 'pending', delayMs: 1_000 },
      { status: 'pending', delayMs: 2_000 },
      { status: 'pending', delayMs: 4_000 },
      { status: 'pending', delayMs: 8_000 },
    ]);
    expect(MAX_DELIVERY_ATTEMPTS).toBe(5);
    expect(afterFailedTry(5, 1_000)).toEqual({ status: 'failed' });
    expect(afterFailedTry(6, 1_000)).toEqual({ status: 'failed' });
    expect(afterFailedTry(2, 50)).toEqual({ status: 'pending', delayMs: 100 });
  });

  it('signs the exact body bytes with HMAC-SHA256, hex, prefixed sha256=', () => {
    const body = '{"event_id":"evt_settled_prog_1","note":"한글"}';
    const expected = createHmac('sha256', 'k').update(Buffer.from(body, 'utf8')).digest('hex');
    expect(signature(body, 'k')).toBe(`sha256=${expected}`);
    expect(signature(Buffer.from(body, 'utf8'), 'k')).toBe(`sha256=${expected}`);
    expect(signature(body, 'other')).not.toBe(`sha256=${expected}`);
    expect(signature(`${body} `, 'k')).not.toBe(`sha256=${expected}`);
  });

  it('derives event ids from the fact, so a repeated event names the same delivery', () => {
    expect(settledEventId('prog_abc')).toBe('evt_settled_prog_abc');
    expect(settledEventId('prog_abc')).toBe(settledEventId('prog_abc'));
    expect(retryEventId('42')).toBe('evt_retry_42');
  });

  it('writes program.settled without retry fields', () => {
    const body = webhookBody({
      eventId: 'evt_settled_p',
      event: 'program.settled',
      programId: 'p',
      status: 'completed_with_failures',
      summary: { ...summary, preprocessing: { ...summary.preprocessing, extra: 1 } as never },
    });
    expect(JSON.parse(body)).toEqual({
      event_id: 'evt_settled_p',
      event: 'program.settled',
      program_id: 'p',
      status: 'completed_with_failures',
      summary,
    });
    expect(Object.keys(JSON.parse(body))).toEqual(['event_id', 'event', 'program_id', 'status', 'summary']);
  });

  it('writes retry.finished with retry_id and results', () => {
    const results = {
      preprocessing: { retried: 1, success: 1, failed: 0 },
      document: { retried: 1, success: 1, failed: 0 },
    };
    const body = JSON.parse(
      webhookBody({
        eventId: 'evt_retry_7',
        event: 'retry.finished',
        programId: 'p',
        status: 'completed',
        summary,
        retry: { runId: '7', results },
      }),
    );
    expect(body).toEqual({
      event_id: 'evt_retry_7',
      event: 'retry.finished',
      program_id: 'p',
      status: 'completed',
      summary,
      retry_id: '7',
      results,
    });
  });

  it.each([
    ['http://127.0.0.1:9000/hook', true],
    ['https://Hooks.Example.com/x', true],
    ['https://hooks.example.com:8443/x?y=1', true],
    ['https://evil.example.com/x', false],
    ['https://hooks.example.com.evil.net/x', false],
    ['https://user:pw@hooks.example.com/x', false],
    ['ftp://hooks.example.com/x', false],
    ['not a url', false],
  ])('allows %s: %s', (url, allowed) => {
    expect(isAllowedTarget(url, ['127.0.0.1', 'hooks.example.com'])).toBe(allowed);
  });

  it('allows nothing with an empty list', () => {
    expect(isAllowedTarget('http://127.0.0.1/', [])).toBe(false);
  });

  it('describes a refused answer by its status and a short, clean reason only', () => {
    expect(describeAnswer(500, 'Internal Server Error')).toBe('HTTP 500 Internal Server Error');
    expect(describeAnswer(404, '')).toBe('HTTP 404');
    expect(describeAnswer(302, 'Found')).toBe('HTTP 302 Found (redirects are not followed)');
    const long = describeAnswer(500, `x\u0000\n${'y'.repeat(500)}`);
    expect(long.length).toBeLessThanOrEqual('HTTP 500 '.length + 60);
    expect(long).not.toContain('\u0000');
    expect(long).not.toContain('\n');
  });

  it('describes a try without an answer without naming the address', () => {
    const timeout = new DOMException('The operation was aborted due to timeout', 'TimeoutError');
    expect(describeTransportError(timeout, 10_000)).toBe('no answer within 10000 ms');
    const refused = Object.assign(new TypeError('fetch failed'), {
      cause: Object.assign(new Error('connect ECONNREFUSED 10.0.0.1:443'), { code: 'ECONNREFUSED' }),
    });
    expect(describeTransportError(refused, 10_000)).toBe('request failed (ECONNREFUSED)');
    expect(describeTransportError(new Error('secret.internal:443 said no'), 10_000)).toBe('request failed');
  });
});
