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
