import { DomainError } from '../../common/errors/domain.error';
import { validateFailureBudget, validateWebhookUrl } from './create-options';

function codeOf(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    return e instanceof DomainError ? e.code : `not a domain error: ${String(e)}`;
  }
  return undefined;
}

describe('validateFailureBudget', () => {
  const noDefault = { maxFailedRatio: undefined, minFiles: 50 };

  it('is none when neither the body nor the configuration names one', () => {
    expect(validateFailureBudget(undefined, noDefault)).toBeUndefined();
    expect(validateFailureBudget(null, noDefault)).toBeUndefined();
  });

  it('takes the configured default when the body names none', () => {
    expect(validateFailureBudget(undefined, { maxFailedRatio: 0.2, minFiles: 30 })).toEqual({
      maxFailedRatio: 0.2,
      minFiles: 30,
    });
  });

  it("takes the body's budget, min_files defaulting to the configuration's", () => {
    expect(validateFailureBudget({ max_failed_ratio: 0.5, min_files: 50 }, noDefault)).toEqual({
      maxFailedRatio: 0.5,
      minFiles: 50,
    });
    expect(validateFailureBudget({ max_failed_ratio: 0 }, { maxFailedRatio: 0.9, minFiles: 7 })).toEqual({
      maxFailedRatio: 0,
      minFiles: 7,
    });
  });

  it.each([
    ['a number', 0.5],
    ['a list', [0.5]],
    ['no ratio', { min_files: 5 }],
    ['a ratio over 1', { max_failed_ratio: 1.01 }],
    ['a negative ratio', { max_failed_ratio: -0.1 }],
    ['a ratio as text', { max_failed_ratio: '0.5' }],
    ['a fractional min_files', { max_failed_ratio: 0.5, min_files: 2.5 }],
    ['a negative min_files', { max_failed_ratio: 0.5, min_files: -1 }],
    ['an unknown field', { max_failed_ratio: 0.5, maximum: 3 }],
  ])('refuses %s with INVALID_FAILURE_BUDGET', (_, raw) => {
    expect(codeOf(() => validateFailureBudget(raw, noDefault))).toBe('INVALID_FAILURE_BUDGET');
  });
});

describe('validateWebhookUrl', () => {
  const hosts = ['hooks.example.com', '127.0.0.1'];

  it('accepts an http(s) URL on an allowed host, any port', () => {
    expect(validateWebhookUrl('https://hooks.example.com/ingest', hosts)).toBe('https://hooks.example.com/ingest');
    expect(validateWebhookUrl('http://HOOKS.example.com:8443/x?y=1', hosts)).toBe(
      'http://hooks.example.com:8443/x?y=1',
    );
    expect(validateWebhookUrl('http://127.0.0.1:9999/', hosts)).toBe('http://127.0.0.1:9999/');
    expect(validateWebhookUrl(undefined, hosts)).toBeUndefined();
  });

  it.each([
    ['another host', 'https://evil.example.net/'],
    ['a look-alike suffix', 'https://hooks.example.com.evil.net/'],
    ['a sub-domain of an allowed host', 'https://a.hooks.example.com/'],
    ['a metadata address', 'http://169.254.169.254/latest'],
  ])('refuses %s with WEBHOOK_NOT_ALLOWED', (_, url) => {
    expect(codeOf(() => validateWebhookUrl(url, hosts))).toBe('WEBHOOK_NOT_ALLOWED');
  });

  it.each([
    ['no URL', 'hooks.example.com/x'],
    ['another scheme', 'ftp://hooks.example.com/'],
    ['credentials', 'https://user:pw@hooks.example.com/'],
    ['a number', 42],
    ['a huge URL', `https://hooks.example.com/${'a'.repeat(3000)}`],
  ])('refuses %s with INVALID_WEBHOOK_URL', (_, url) => {
    expect(codeOf(() => validateWebhookUrl(url, hosts))).toBe('INVALID_WEBHOOK_URL');
  });
});
