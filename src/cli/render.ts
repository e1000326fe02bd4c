import type { ProgramView } from './status';

export function summaryTable(p: ProgramView): string {
  const m = p.metadata_json;
  const rows: [string, string][] = [
    ['program', `${p.program_id}  (${p.name})`],
    ['status', p.status],
    ['files', String(p.total_files)],
    ['preprocessing', `${m.preprocessing.summary.success} ok, ${m.preprocessing.summary.failed} failed`],
    ['documents', `${m.document_storage.summary.success} ok, ${m.document_storage.summary.failed} failed`],
    ['retries so far', String(m.retry_history_total ?? m.retry_history.length)],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join('\n');
}

export interface FailureItem {
  stage: string;
  index?: number;
  source_index?: number;
  file_path?: string;
  source_file_path?: string;
  error_code: string;
  retryable: boolean;
  retry_count: number;
  exhausted: boolean;
  next_retry_at: string | null;
  error: string;
  timestamp: string;
}

const FAILURE_COLUMNS = [
  'stage',
  'index',
  'file',
  'error_code',
  'retryable',
  'retry_count',
  'exhausted',
  'next_retry_at',
  'timestamp',
  'error',
] as const;

const flat = (f: FailureItem): Record<(typeof FAILURE_COLUMNS)[number], unknown> => ({
  stage: f.stage,
  index: f.index ?? f.source_index,
  file: f.file_path ?? f.source_file_path,
  error_code: f.error_code,
  retryable: f.retryable,
  retry_count: f.retry_count,
  exhausted: f.exhausted,
  next_retry_at: f.next_retry_at ?? '',
  timestamp: f.timestamp,
  error: f.error,
});

/** RFC 4180: quote every field that needs it, double the quotes inside. */
const text = (v: unknown): string =>
  typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean'
    ? String(v)
    : v === undefined || v === null
      ? ''
      : JSON.stringify(v);

const csvField = (v: unknown): string => {
  const s = text(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};

export function failuresCsv(items: FailureItem[]): string {
  return (
    [FAILURE_COLUMNS.join(','), ...items.map((f) => FAILURE_COLUMNS.map((c) => csvField(flat(f)[c])).join(','))].join(
      '\n',
    ) + '\n'
  );
}

/** The first failures, one a line; `total` (from the program's summary) says how many there are in all. */
export function failuresList(items: FailureItem[], total = items.length, max = 20): string {
  const lines = items.slice(0, max).map((f) => {
    const x = flat(f);
    return `  [${text(x.stage)}] #${text(x.index)} ${text(x.file)}  ${text(x.error_code)}${f.retryable ? ' (retryable)' : ''}`;
  });
  const shown = Math.min(items.length, max);
  if (total > shown) lines.push(`  … and ${total - shown} more (failures --format csv for all)`);
  return lines.join('\n');
}

export interface ListItem {
  program_id: string;
  status: string;
  total_files: number;
  name: string;
  created_at: string;
  /** Absent from servers that predate the list's counts. */
  counts?: { done: number; failed: number; pending: number };
}

export function listLine(p: ListItem): string {
  const counts = p.counts
    ? `  ${String(p.counts.done).padStart(6)} done ${String(p.counts.failed).padStart(6)} failed ${String(p.counts.pending).padStart(6)} pending`
    : '';
  return `${p.program_id}  ${p.status.padEnd(23)}  ${String(p.total_files).padStart(6)} files${counts}  ${p.created_at}  ${p.name}`;
}

export interface StageCounts {
  retried: number;
  success: number;
  failed: number;
}

/** The seed's per-stage retry counts, one line per stage. */
export function retryCounts(results: Record<string, StageCounts | undefined>): string {
  return ['preprocessing', 'document']
    .map((stage) => {
      const c = results[stage] ?? { retried: 0, success: 0, failed: 0 };
      return `${stage.padEnd(13)}  retried ${c.retried}, success ${c.success}, failed ${c.failed}`;
    })
    .join('\n');
}
