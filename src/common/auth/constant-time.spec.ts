import { bearerToken, constantTimeEqual } from './constant-time';

// The module object itself (not an import's namespace copy), so that a spy on it is what the code calls.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const crypto: typeof import('node:crypto') = require('node:crypto');

describe('constantTimeEqual', () => {
  afterEach(() => jest.restoreAllMocks());

  it('tells equal from different, whatever the lengths', () => {
    expect(constantTimeEqual('metrics-token-0123', 'metrics-token-0123')).toBe(true);
    expect(constantTimeEqual('metrics-token-0124', 'metrics-token-0123')).toBe(false);
    expect(constantTimeEqual('', 'metrics-token-0123')).toBe(false);
    expect(constantTimeEqual('metrics-token-0123-and-more', 'metrics-token-0123')).toBe(false);
  });

  it('compares 32-byte digests with timingSafeEqual, never the strings themselves', () => {
    const equal = jest.spyOn(crypto, 'timingSafeEqual');
    const expected = 'metrics-token-0123456789';
    for (const presented of ['x', expected.slice(0, -1) + 'X', expected, `${expected}!`]) {
      equal.mockClear();
      constantTimeEqual(presented, expected);
      expect(equal).toHaveBeenCalledTimes(1);
      const [a, b] = equal.mock.calls[0] as unknown as [Buffer, Buffer];
      expect([presented, a.length, b.length]).toEqual([presented, 32, 32]);
    }
  });
});

describe('bearerToken', () => {
  it('reads the token of a Bearer authorization, any case of the scheme', () => {
    expect(bearerToken('Bearer abc.def')).toBe('abc.def');
    expect(bearerToken('bearer abc')).toBe('abc');
  });

  it.each([undefined, '', 'Bearer', 'Bearer ', 'Basic dXNlcjpwYXNz', 'Bearer a b', 'Bearer ключ'])(
    'finds no token in %j',
    (header) => {
      expect(bearerToken(header)).toBeUndefined();
    },
  );
});
