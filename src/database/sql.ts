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
    if (CONNECTION_ERRNOS.has(code) || CONNECTION_CLASSES.some((c) => code.startsWith(c) && code.length === 5))
      return true;
    const msg = typeof err.message === 'string' ? err.message : '';
    if (
      /Connection terminated|connection (?:is )?closed|Client has encountered a connection error|timeout exceeded when trying to connect|ECONNREFUSED/i.test(
        msg,
      )
    )
      return true;
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

// What a failed statement means, by SQLSTATE class: PostgreSQL's own messages name constraints,
// tables and columns, none of which belong in a failure record a user reads.
const CLASS_MEANING: Record<string, string> = {
  '22': 'a value is out of range for the database',
  '23': 'the row breaks a database rule',
  '40': 'the database gave up on the statement (conflict or deadlock)',
  '42': 'the database could not run the statement',
  '54': 'the statement exceeds a database limit',
  '57': 'the statement was cancelled (for example by statement_timeout)',
};

/**
 * A failed statement described for a failure record: its SQLSTATE and what that class means. A
 * RAISE from a trigger (class P0) is the database owner's own words and is kept; anything else
 * PostgreSQL says is not, because it names constraints and columns. The query builder's prefix
 * (the statement, values included) never survives either way.
 */
export function databaseErrorMessage(e: unknown): string {
  const err = e as { message?: string; code?: string };
  const code = typeof err?.code === 'string' && /^[0-9A-Z]{5}$/.test(err.code) ? err.code : undefined;
  if (!code) return 'the database refused the statement';
  if (code.startsWith('P0')) {
    const message = String(err.message ?? '');
    const cut = message.lastIndexOf(' - ');
    const own =
      cut >= 0 && /^\s*(INSERT|UPDATE|SELECT|DELETE|WITH)\b/i.test(message) ? message.slice(cut + 3) : message;
    return `${own} (SQLSTATE ${code})`;
  }
  return `${CLASS_MEANING[code.slice(0, 2)] ?? 'the database refused the statement'} (SQLSTATE ${code})`;
}

/**
 * An error's message for a log line: the query builder's prefix (the statement, values included) cut
 * off, so logs carry what went wrong, not the data.
 */
export function logMessage(e: unknown): string {
  const message = e instanceof Error ? e.message : String(e);
  const cut = message.lastIndexOf(' - ');
  const own = cut >= 0 && /^\s*(INSERT|UPDATE|SELECT|DELETE|WITH)\b/i.test(message) ? message.slice(cut + 3) : message;
  const code = (e as { code?: unknown })?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? `${own} (SQLSTATE ${code})` : own;
}
