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

const isIndexCursor = (v: Record<string, unknown>): v is { i: number } => Number.isInteger(v.i);

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
