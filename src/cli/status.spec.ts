import { EXIT } from './api-client';
import { exitCodeFor, failureTotal, isSettled, PROGRAM_STATUSES, ProgramView, progressOf } from './status';

const program = (
  over: Partial<ProgramView> = {},
  pre = { success: 0, failed: 0 },
  doc = { success: 0, failed: 0 },
): ProgramView => ({
  program_id: 'prog_1',
  name: 'n',
  status: 'processing',
  total_files: 10,
  created_at: '2026-01-01T00:00:00.000Z',
  metadata_json: {
    preprocessing: { summary: { total: 10, ...pre } },
    document_storage: { summary: { total: pre.success, ...doc } },
    total_successful_documents: doc.success,
    has_partial_failure: false,
    retry_history: [],
  },
  ...over,
});

describe('program status in the CLI', () => {
  it('knows which statuses have settled', () => {
    expect(PROGRAM_STATUSES.filter(isSettled)).toEqual([
      'completed',
      'completed_with_failures',
      'cancelled',
      'aborted',
    ]);
  });

  it('ends a watch on a status it does not know rather than polling for ever', () => {
    expect(isSettled('some_future_status')).toBe(true);
  });

  it.each<[string, number]>([
    ['completed', EXIT.ok],
    ['completed_with_failures', EXIT.notCompleted],
    ['cancelled', EXIT.notCompleted],
    ['aborted', EXIT.notCompleted],
    ['pending', EXIT.ok],
    ['processing', EXIT.ok],
  ])('%s exits %i', (status, code) => {
    expect(exitCodeFor(status)).toBe(code);
  });

  it('counts a file settled once it has a Document or has failed in either stage', () => {
    const p = program({}, { success: 7, failed: 2 }, { success: 5, failed: 1 });
    expect(progressOf(p)).toEqual({ done: 5, failed: 3, settled: 8 });
    expect(failureTotal(p)).toBe(3);
  });
});
