import { InvalidArgumentError } from 'commander';
import { parseErrorCodes, parseIdempotencyKey, parseIndexes, parseKeyId, parseSeconds, parseUserId } from './options';

describe('CLI option values', () => {
  it('reads --indexes as source indexes, spaces and empty items ignored', () => {
    expect(parseIndexes('1,2,3')).toEqual([1, 2, 3]);
    expect(parseIndexes(' 0 , 17,,250 ')).toEqual([0, 17, 250]);
  });

  it.each(['', ',', '1,x', '-1', '1.5', '2e3', '0x10', '1234567890'])('refuses --indexes %j', (v) => {
    expect(() => parseIndexes(v)).toThrow(InvalidArgumentError);
  });

  it('reads --error-codes in any case', () => {
    expect(parseErrorCodes('SOURCE_NOT_FOUND, timeout')).toEqual(['SOURCE_NOT_FOUND', 'TIMEOUT']);
  });

  it.each(['', ' , ', '1ABC', 'NOT-A-CODE', `A${'B'.repeat(64)}`])('refuses --error-codes %j', (v) => {
    expect(() => parseErrorCodes(v)).toThrow(InvalidArgumentError);
  });

  it('reads seconds, fractions included, and refuses nothing, zero and negatives', () => {
    expect(parseSeconds('30')).toBe(30);
    expect(parseSeconds('0.5')).toBe(0.5);
    for (const v of ['', ' ', '0', '-1', 'abc', 'Infinity'])
      expect(() => parseSeconds(v)).toThrow(InvalidArgumentError);
  });

  it('takes an idempotency key the service would take', () => {
    expect(parseIdempotencyKey('nightly-2026-05-01')).toBe('nightly-2026-05-01');
    for (const v of ['', 'has space', 'x'.repeat(201), 'ключ'])
      expect(() => parseIdempotencyKey(v)).toThrow(InvalidArgumentError);
  });

  it('takes a user id the service would take, and a key id as `keys list` shows it', () => {
    expect(parseUserId('alice@example.com')).toBe('alice@example.com');
    for (const v of ['', 'x'.repeat(129), 'tab\there']) expect(() => parseUserId(v)).toThrow(InvalidArgumentError);
    expect(parseKeyId('0123456789abcdef')).toBe('0123456789abcdef');
    for (const v of ['', '0123456789ABCDEF', '0123456789abcde', 'bik_0123456789abcdef_x'])
      expect(() => parseKeyId(v)).toThrow(InvalidArgumentError);
  });
});
