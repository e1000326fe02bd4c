import { EXIT } from './api-client';

/** What GET /v1/programs/{id} says about a program, as far as the CLI reads it. */
export interface ProgramView {
  program_id: string;
  name: string;
  status: string;
  total_files: number;
  created_at: string;
  metadata_json: {
    preprocessing: { summary: { total: number; success: number; failed: number } };
    document_storage: { summary: { total: number; success: number; failed: number } };
    total_successful_documents: number;
    has_partial_failure: boolean;
    retry_history: unknown[];
    /** Absent from servers that predate the inline window. */
    retry_history_total?: number;
  };
}

export const PROGRAM_STATUSES = [
  'pending',
  'processing',
  'completed',
  'completed_with_failures',
  'cancelled',
  'aborted',
] as const;

const MOVING = new Set(['pending', 'processing']);

/**
 * Settled is "no longer moving" rather than a list of end states: a status added by a newer service
 * then ends `watch` early, which a person notices, instead of making it poll for ever.
 */
export const isSettled = (status: string): boolean => !MOVING.has(status);

/** completed → 0; any other settled status (failures, cancelled, aborted) → 2; still moving → 0. */
export function exitCodeFor(status: string): number {
  if (!isSettled(status) || status === 'completed') return EXIT.ok;
  return EXIT.notCompleted;
}

/** Files settled so far, counted as the list's `counts` are: a failure in either stage settles a file. */
export function progressOf(p: ProgramView): { done: number; failed: number; settled: number } {
  const m = p.metadata_json;
  const done = m.total_successful_documents;
  const failed = m.preprocessing.summary.failed + m.document_storage.summary.failed;
  return { done, failed, settled: Math.min(p.total_files, done + failed) };
}

/** How many failure records the program holds, from its summary (no need to page through them). */
export const failureTotal = (p: ProgramView): number =>
  p.metadata_json.preprocessing.summary.failed + p.metadata_json.document_storage.summary.failed;
