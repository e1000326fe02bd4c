import type { ProgramStatus } from './program.types';

/** Error codes that stop a program rather than describe a file: set by cancel and by the failure budget. */
export const CANCELLED = 'CANCELLED';
export const BUDGET_EXCEEDED = 'BUDGET_EXCEEDED';

export interface SettledCounts {
  done: number;
  preprocessing_failed: number;
  document_failed: number;
  /** Preprocessing failures that are CANCELLED. */
  cancelled: number;
  /** Preprocessing failures that are BUDGET_EXCEEDED. */
  overBudget: number;
}

/**
 * The status of a program none of whose files is unsettled, derived from the files alone, so that
 * whoever settles it — the replica that recorded the last file, the one that finds it orphaned
 * after a crash, a retry — arrives at the same answer. A program stopped by its failure budget is
 * `aborted`, one stopped by a person `cancelled`, as long as any file still carries that stop; a
 * retry that takes every such file through makes it an ordinary program again.
 */
export function settledStatus(c: SettledCounts): ProgramStatus {
  if (c.overBudget > 0) return 'aborted';
  if (c.cancelled > 0) return 'cancelled';
  return c.preprocessing_failed + c.document_failed > 0 ? 'completed_with_failures' : 'completed';
}

export interface FailureBudget {
  maxFailedRatio: number;
  minFiles: number;
}

/** SPEC §8.4: once at least `minFiles` have settled, a failed share above the ratio stops the program. */
export function budgetExceeded(budget: FailureBudget, settled: number, failed: number): boolean {
  return settled > 0 && settled >= budget.minFiles && failed / settled > budget.maxFailedRatio;
}

/**
 * Whether a replica should count a program's files again (one aggregate over its rows) after
 * `settled` of its own outcomes, `failed` of them failures, the last count having been at
 * `checkedAt`. Only while its own failed share is above the ratio — a program over its budget has
 * at least one replica whose share is — and in steps that grow with the program (a tenth of
 * min_files, or a twentieth of what this replica has settled), so a program hovering at the limit
 * costs a logarithmic number of counts, not one per file.
 */
export function budgetCheckDue(budget: FailureBudget, settled: number, failed: number, checkedAt: number): boolean {
  if (settled === 0 || failed / settled <= budget.maxFailedRatio) return false;
  const step = Math.max(1, Math.ceil(budget.minFiles / 10), Math.floor(settled / 20));
  return settled - checkedAt >= step;
}
