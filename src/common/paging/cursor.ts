import { InvalidRequestError } from '../errors/domain.error';

/** Opaque keyset cursors: clients pass them back verbatim and never build them. */
export function encodeCursor(position: Record<string, string | number>): string {
  return Buffer.from(JSON.stringify(position), 'utf8').toString('base64url');
}

export function decodeCursor<T extends Record<string, string | number>>(
  cursor: string | undefined,
  isValid: (value: Record<string, unknown>) => value is T,
): T | undefined {
  if (cursor === undefined || cursor === '') return undefined;
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (typeof value === 'object' && value !== null && isValid(value as Record<string, unknown>)) return value as T;
  } catch {
    // fall through: a cursor that does not parse is the client's mistake, reported below
  }
  throw new InvalidRequestError('INVALID_CURSOR', 'cursor is not valid');
}

export interface Page<T> {
  items: T[];
  next_cursor: string | null;
}

// Source indexes are below 100,000; anything outside PostgreSQL's int range would reach SQL as an
// overflow (a 500), so a cursor is only ever a small whole number this service could have made.
const MAX_INDEX = 2_147_483_647;
const isIndexCursor = (v: Record<string, unknown>): v is { i: number } =>
  Number.isSafeInteger(v.i) && (v.i as number) >= 0 && (v.i as number) <= MAX_INDEX;

const CURSOR_TIMESTAMP_RE = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3})\d{3}Z$/;

/**
 * A timestamp exactly as a list cursor holds it (microseconds, UTC) and a real date: Date.parse
 * accepts far more ("1", "May 5", February 30th) than PostgreSQL does, and the difference was a 500.
 */
export function isCursorTimestamp(value: string): boolean {
  const m = CURSOR_TIMESTAMP_RE.exec(value);
  if (!m) return false;
  const t = Date.parse(`${m[1]}Z`);
  return !Number.isNaN(t) && new Date(t).toISOString() === `${m[1]}Z`;
}

/** The source index a page of per-file rows starts after (-1 for the first page). */
export function indexAfter(cursor: string | undefined): number {
  return decodeCursor(cursor, isIndexCursor)?.i ?? -1;
}

/**
 * A page from rows fetched with `limit + 1` in source order: the extra row only says that another
 * page exists, whose cursor is the last returned row's source index.
 */
export function pageBySourceIndex<R extends { source_index: number }, T>(
  rows: R[],
  limit: number,
  map: (row: R) => T,
): Page<T> {
  const page = rows.slice(0, limit);
  return {
    items: page.map(map),
    next_cursor: rows.length > limit ? encodeCursor({ i: page[page.length - 1].source_index }) : null,
  };
}
