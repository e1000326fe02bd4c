import { DomainError } from '../../common/errors/domain.error';
import { validateRetrySelection } from './retry-selection';

function codeOf(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    return e instanceof DomainError ? e.code : `not a domain error: ${String(e)}`;
  }
  return undefined;
}

describe('validateRetrySelection', () => {
  it('selects everything when there is no body or an empty one', () => {
    expect(validateRetrySelection(undefined)).toBeUndefined();
    expect(validateRetrySelection(null)).toBeUndefined();
    expect(validateRetrySelection({})).toBeUndefined();
  });

  it('takes indexes or error codes, each once', () => {
    expect(validateRetrySelection({ indexes: [7, 0, 7] })).toEqual({ indexes: [7, 0] });
    expect(validateRetrySelection({ error_codes: ['TIMEOUT', 'SOURCE_NOT_FOUND', 'TIMEOUT'] })).toEqual({
      errorCodes: ['TIMEOUT', 'SOURCE_NOT_FOUND'],
    });
  });

  it.each([
    ['a list body', [1, 2]],
    ['a text body', 'indexes'],
    ['both selections', { indexes: [1], error_codes: ['TIMEOUT'] }],
    ['an unknown field', { index: [1] }],
    ['empty indexes', { indexes: [] }],
    ['indexes that are not a list', { indexes: 3 }],
    ['a negative index', { indexes: [-1] }],
    ['a fractional index', { indexes: [1.5] }],
    ['an index as text', { indexes: ['1'] }],
    ['an index past any program', { indexes: [100_000] }],
    ['too many indexes', { indexes: Array.from({ length: 100_001 }, (_, i) => i % 1000) }],
    ['empty error codes', { error_codes: [] }],
    ['a lower-case code', { error_codes: ['timeout'] }],
    ['a code with SQL in it', { error_codes: ["X' OR 1=1"] }],
    ['too many codes', { error_codes: Array.from({ length: 101 }, (_, i) => `CODE_${i}`) }],
  ])('refuses %s with INVALID_SELECTION', (_, body) => {
    expect(codeOf(() => validateRetrySelection(body))).toBe('INVALID_SELECTION');
  });
});
