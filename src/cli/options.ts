import { InvalidArgumentError } from 'commander';

/**
 * Parsers for option values. They refuse what the service would refuse, so a typo is reported
 * against the option the user typed, before anything is uploaded or sent.
 */

const list = (value: string): string[] =>
  value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');

/** `--indexes 1,2,3`: source indexes, as the retry body's `indexes`. */
export function parseIndexes(value: string): number[] {
  const parts = list(value);
  if (parts.length === 0) throw new InvalidArgumentError('give at least one source index, e.g. 0,7,12');
  return parts.map((s) => {
    if (!/^\d{1,9}$/.test(s)) throw new InvalidArgumentError(`${JSON.stringify(s)} is not a source index (0, 1, 2…)`);
    return Number(s);
  });
}

/** `--error-codes SOURCE_NOT_FOUND,TIMEOUT` (any case), as the retry body's `error_codes`. */
export function parseErrorCodes(value: string): string[] {
  const codes = list(value).map((s) => s.toUpperCase());
  if (codes.length === 0) throw new InvalidArgumentError('give at least one error code, e.g. SOURCE_NOT_FOUND');
  for (const c of codes)
    if (!/^[A-Z][A-Z0-9_]{0,63}$/.test(c))
      throw new InvalidArgumentError(`${JSON.stringify(c)} is not an error code like SOURCE_NOT_FOUND`);
  return codes;
}

/** A duration in seconds (fractions allowed), more than zero. */
export function parseSeconds(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n <= 0)
    throw new InvalidArgumentError('give a number of seconds greater than 0');
  return n;
}

/** The service takes 1 to 200 visible ASCII characters. */
export function parseIdempotencyKey(value: string): string {
  if (!/^[\x21-\x7e]{1,200}$/.test(value))
    throw new InvalidArgumentError('an idempotency key is 1 to 200 visible ASCII characters (no spaces)');
  return value;
}

/** What the service takes as a user id: 1 to 128 characters, no control characters. */
export function parseUserId(value: string): string {
  // eslint-disable-next-line no-control-regex
  if (!/^[^\u0000-\u001f\u007f-\u009f]{1,128}$/.test(value))
    throw new InvalidArgumentError('a user id is 1 to 128 characters, with no control characters');
  return value;
}

/** An API key's id, as `keys list` shows it (16 hex digits). */
export function parseKeyId(value: string): string {
  if (!/^[0-9a-f]{16}$/.test(value))
    throw new InvalidArgumentError('a key id is 16 hex digits, as `batch-ingest keys list` shows it');
  return value;
}
