import { transportFailure } from './api-client';

const fetchFailed = (code: string) => Object.assign(new TypeError('fetch failed'), { cause: { code } });

describe('what a failed request means', () => {
  it('reads the request deadline and undici’s own deadlines as a slow answer', () => {
    expect(transportFailure(new DOMException('The operation was aborted due to timeout', 'TimeoutError'))).toBe(
      'timeout',
    );
    expect(transportFailure(fetchFailed('UND_ERR_HEADERS_TIMEOUT'))).toBe('timeout');
    expect(transportFailure(fetchFailed('UND_ERR_BODY_TIMEOUT'))).toBe('timeout');
  });

  it('reads refused, reset and lost connections as an unreachable service', () => {
    for (const code of ['ECONNREFUSED', 'ECONNRESET', 'UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT', 'ENOTFOUND'])
      expect(transportFailure(fetchFailed(code))).toBe('network');
    expect(transportFailure(new TypeError('fetch failed'))).toBe('network');
  });
});
