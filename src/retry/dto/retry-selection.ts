import { InvalidRequestError } from '../../common/errors/domain.error';

/** Which failed files a manual retry takes (SPEC §8.3); undefined: every failed file of the stages. */
export interface RetrySelection {
  indexes?: number[];
  errorCodes?: string[];
}

// A program holds at most 100,000 files, so no selection needs more indexes than that.
const MAX_INDEXES = 100_000;
const MAX_INDEX = 99_999;
const MAX_ERROR_CODES = 100;
const ERROR_CODE_RE = /^[A-Z][A-Z0-9_]{0,63}$/;

/**
 * The retry body: `{"indexes": [...]}` or `{"error_codes": [...]}`, or nothing. An empty list is
 * refused rather than read as "everything" or "nothing": either reading would surprise someone.
 */
export function validateRetrySelection(body: unknown): RetrySelection | undefined {
  if (body === undefined || body === null) return undefined;
  const bad = (why: string) => new InvalidRequestError('INVALID_SELECTION', why);
  if (typeof body !== 'object' || Array.isArray(body)) throw bad('the retry body must be an object');
  const { indexes, error_codes: errorCodes, ...rest } = body as Record<string, unknown>;
  const extra = Object.keys(rest);
  if (extra.length > 0) throw bad(`the retry body has an unknown field ${JSON.stringify(extra[0]).slice(0, 60)}`);
  if (indexes !== undefined && errorCodes !== undefined) throw bad('give indexes or error_codes, not both');
  if (indexes !== undefined) {
    if (!Array.isArray(indexes) || indexes.length === 0 || indexes.length > MAX_INDEXES) {
      throw bad(`indexes must be a list of 1 to ${MAX_INDEXES} source indexes`);
    }
    for (const i of indexes) {
      if (!Number.isInteger(i) || (i as number) < 0 || (i as number) > MAX_INDEX) {
        throw bad(`indexes must hold whole numbers from 0 to ${MAX_INDEX}`);
      }
    }
    return { indexes: [...new Set(indexes as number[])] };
  }
  if (errorCodes !== undefined) {
    if (!Array.isArray(errorCodes) || errorCodes.length === 0 || errorCodes.length > MAX_ERROR_CODES) {
      throw bad(`error_codes must be a list of 1 to ${MAX_ERROR_CODES} error codes`);
    }
    for (const c of errorCodes) {
      if (typeof c !== 'string' || !ERROR_CODE_RE.test(c))
        throw bad('error_codes must hold codes like SOURCE_NOT_FOUND');
    }
    return { errorCodes: [...new Set(errorCodes as string[])] };
  }
  return undefined;
}
