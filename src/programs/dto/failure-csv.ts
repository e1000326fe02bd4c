import type { FailureStage } from '../program.types';

/** The export's columns (SPEC §8.9), in order; `index` is the source index for both stages. */
export const FAILURE_CSV_COLUMNS = [
  'stage',
  'index',
  'file_path',
  'error_code',
  'retryable',
  'retry_count',
  'exhausted',
  'next_retry_at',
  'timestamp',
  'error',
] as const;

export interface FailureCsvRecord {
  stage: FailureStage;
  index: number;
  file_path: string;
  error_code: string | null;
  retryable: boolean | null;
  retry_count: number;
  exhausted: boolean;
  next_retry_at: string | null;
  timestamp: string | null;
  error: string | null;
}

/** RFC 4180 ends every record with CRLF; spreadsheets and CSV libraries read it everywhere. */
export const CSV_EOL = '\r\n';

/**
 * Spreadsheets run a cell that starts with one of these as a formula (and `-`/`+` cells too:
 * `-2+3+cmd|' /C calc'!A0`). File paths and error texts come from users and from parsers quoting
 * their input, so a text cell never starts with one: it gets a leading apostrophe, which Excel,
 * LibreOffice and Google Sheets all show as text (OWASP's advice for CSV injection).
 */
const FORMULA_START = /^[=+\-@\t\r]/;

/** One CSV cell: text neutralised against formulas, then quoted when RFC 4180 requires it. */
export function csvCell(value: string | number | boolean | null | undefined): string {
  if (value === null || value === undefined) return '';
  if (typeof value !== 'string') return String(value);
  const text = FORMULA_START.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export const FAILURE_CSV_HEADER = FAILURE_CSV_COLUMNS.join(',') + CSV_EOL;

/** One record as a CSV line, its line end included. */
export function failureCsvRow(r: FailureCsvRecord): string {
  return FAILURE_CSV_COLUMNS.map((c) => csvCell(r[c])).join(',') + CSV_EOL;
}
