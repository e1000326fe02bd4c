import { sha256 } from '../common/auth/constant-time';
import { mintApiKey, parseApiKey, secretMatches } from './api-key.policy';

// The module object itself (not an import's namespace copy), so that a spy on it is what the code calls.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const crypto: typeof import('node:crypto') = require('node:crypto');

describe('API keys', () => {
  afterEach(() => jest.restoreAllMocks());

  it('are made of a key id and a 256-bit secret, of which only the SHA-256 is kept', () => {
    const minted = mintApiKey();
    expect(minted.key).toMatch(/^bik_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/);
    const parsed = parseApiKey(minted.key)!;
    expect(parsed.keyId).toBe(minted.keyId);
    expect(Buffer.from(parsed.secret, 'base64url')).toHaveLength(32);
    expect(minted.secretDigest.equals(sha256(parsed.secret))).toBe(true);
    expect(minted.secretDigest.toString('utf8')).not.toContain(parsed.secret);
    expect(mintApiKey().key).not.toBe(minted.key);
  });

  it.each([
    ['empty', ''],
    ['another prefix', 'xyz_0123456789abcdef_' + 'a'.repeat(43)],
    ['a short secret', 'bik_0123456789abcdef_' + 'a'.repeat(42)],
    ['a long secret', 'bik_0123456789abcdef_' + 'a'.repeat(44)],
    ['an upper-case key id', 'bik_0123456789ABCDEF_' + 'a'.repeat(43)],
    ['a trailing space', 'bik_0123456789abcdef_' + 'a'.repeat(43) + ' '],
  ])('refuse to parse %s', (_name, key) => {
    expect(parseApiKey(key)).toBeUndefined();
  });

  it('match only their own secret', () => {
    const { key, secretDigest } = mintApiKey();
    const { secret } = parseApiKey(key)!;
    expect(secretMatches(secret, secretDigest)).toBe(true);
    expect(secretMatches(`${secret.slice(0, -1)}${secret.endsWith('A') ? 'B' : 'A'}`, secretDigest)).toBe(false);
    expect(secretMatches(secret, undefined)).toBe(false);
    expect(secretMatches(secret, Buffer.alloc(16))).toBe(false);
  });

  /**
   * Timing without timing: what the check does must not depend on how much of the secret matched.
   * Every check compares two 32-byte digests with crypto.timingSafeEqual — for a secret that shares
   * nothing with the real one, all but its last character, all of it, a shorter one, and for a key
   * id with no row at all — and nothing else decides the answer.
   */
  it('compare fixed-length digests with timingSafeEqual however much of the secret matched', () => {
    const { key, secretDigest } = mintApiKey();
    const { secret } = parseApiKey(key)!;
    const other = (c: string) => (c === 'A' ? 'B' : 'A');
    const candidates: Array<[string, string, Buffer | undefined, boolean]> = [
      ['nothing in common', [...secret].map(other).join(''), secretDigest, false],
      ['all but the last character', secret.slice(0, -1) + other(secret.slice(-1)), secretDigest, false],
      ['all but the first character', other(secret[0]) + secret.slice(1), secretDigest, false],
      ['a prefix only', secret.slice(0, 10), secretDigest, false],
      ['the whole secret', secret, secretDigest, true],
      ['an unknown key id', secret, undefined, false],
    ];
    const equal = jest.spyOn(crypto, 'timingSafeEqual');
    for (const [what, presented, stored, expected] of candidates) {
      equal.mockClear();
      expect([what, secretMatches(presented, stored)]).toEqual([what, expected]);
      expect([what, equal.mock.calls.length]).toEqual([what, 1]);
      const [a, b] = equal.mock.calls[0] as unknown as [Buffer, Buffer];
      expect([what, a.length, b.length]).toEqual([what, 32, 32]);
      // What was compared is the presented secret's digest, never the secret itself.
      expect(a.equals(sha256(presented))).toBe(true);
      expect([what, equal.mock.results[0].value]).toEqual([what, expected]);
    }
  });
});
