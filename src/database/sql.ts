/** SQL fragment rendering a timestamptz as ISO 8601 UTC with the `Z` suffix (SPEC §4). */
export const isoUtc = (column: string): string =>
  `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/** Splits a list into slices of at most `size` (multi-row statements stay a bounded size). */
export function* slices<T>(items: readonly T[], size: number): Generator<T[]> {
  for (let i = 0; i < items.length; i += size) yield items.slice(i, i + size);
}

/** PostgreSQL error codes (SQLSTATE) that mean "the database is not there", not "the row is bad". */
const CONNECTION_CLASSES = ['08', '57', '53']; // connection exception, operator intervention, insufficient resources
const CONNECTION_ERRNOS = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH']);

export function isConnectionError(e: unknown): boolean {
  let cur: unknown = e;
  for (let depth = 0; cur && depth < 4; depth++) {
    const err = cur as { code?: unknown; message?: unknown; cause?: unknown };
    const code = typeof err.code === 'string' ? err.code : '';
    if (CONNECTION_ERRNOS.has(code) || CONNECTION_CLASSES.some((c) => code.startsWith(c) && code.length === 5)) return true;
    const msg = typeof err.message === 'string' ? err.message : '';
    if (/Connection terminated|connection (?:is )?closed|Client has encountered a connection error|timeout exceeded when trying to connect|ECONNREFUSED/i.test(msg)) return true;
    cur = err.cause;
  }
  return false;
}

/** Error text safe to store and show: bounded, without control characters PostgreSQL rejects (NUL). */
export function storableMessage(e: unknown, max = 1000): string {
  const raw = e instanceof Error ? e.message : String(e);
  // eslint-disable-next-line no-control-regex
  const clean = raw.replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, ' ').trim();
  return clean.length > max ? `${clean.slice(0, max - 1)}…` : clean || 'unknown error';
}

/**
 * PostgreSQL's own message for a failed statement. The query builder prefixes it with the whole
 * statement, values included, which must not reach logs or failure records.
 */
export function databaseErrorMessage(e: unknown): string {
  const err = e as { message?: string; code?: string; constraint?: string };
  const message = String(err?.message ?? e);
  const cut = message.lastIndexOf(' - ');
  const own = cut >= 0 && /^\s*(INSERT|UPDATE|SELECT|DELETE|WITH)\b/i.test(message) ? message.slice(cut + 3) : message;
  const details = [err?.code && `SQLSTATE ${err.code}`, err?.constraint && `constraint ${err.constraint}`].filter(Boolean);
  return details.length > 0 ? `${own} (${details.join(', ')})` : own;
}
