import { FailureItem, failuresList, listLine, retryCounts } from './render';

const failure = (index: number): FailureItem => ({
  stage: 'preprocessing',
  index,
  file_path: `s3://src/f${index}.txt`,
  error_code: 'CANCELLED',
  retryable: false,
  retry_count: 0,
  exhausted: false,
  next_retry_at: null,
  error: 'the program was cancelled',
  timestamp: '2026-01-01T00:00:00.000Z',
});

describe('CLI rendering', () => {
  it('lists the first failures and counts the rest from the summary total', () => {
    const text = failuresList([failure(0), failure(1)], 5000, 2);
    expect(text.split('\n')).toEqual([
      '  [preprocessing] #0 s3://src/f0.txt  CANCELLED',
      '  [preprocessing] #1 s3://src/f1.txt  CANCELLED',
      '  … and 4998 more (failures --format csv for all)',
    ]);
    expect(failuresList([failure(0)])).not.toContain('more');
  });

  it('shows a program’s counts in the list, and does without them from an older service', () => {
    const item = {
      program_id: 'prog_1',
      status: 'processing',
      total_files: 10,
      name: 'batch',
      created_at: '2026-01-01T00:00:00.000Z',
    };
    expect(listLine({ ...item, counts: { done: 6, failed: 1, pending: 3 } })).toMatch(
      /^prog_1 {2}processing\s+10 files\s+6 done\s+1 failed\s+3 pending {2}2026-01-01T00:00:00.000Z {2}batch$/,
    );
    expect(listLine(item)).toMatch(/10 files {2}2026/);
  });

  it('prints both stages of a retry, zero when the service left one out', () => {
    expect(retryCounts({ preprocessing: { retried: 2, success: 1, failed: 1 } })).toBe(
      'preprocessing  retried 2, success 1, failed 1\ndocument       retried 0, success 0, failed 0',
    );
  });
});
