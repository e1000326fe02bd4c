import { budgetCheckDue, budgetExceeded, settledStatus } from './settle.policy';

describe('settledStatus', () => {
  const none = { done: 0, preprocessing_failed: 0, document_failed: 0, cancelled: 0, overBudget: 0 };

  it('is completed without failures and completed_with_failures with any', () => {
    expect(settledStatus({ ...none, done: 10 })).toBe('completed');
    expect(settledStatus({ ...none, done: 9, document_failed: 1 })).toBe('completed_with_failures');
    expect(settledStatus({ ...none, done: 9, preprocessing_failed: 1 })).toBe('completed_with_failures');
  });

  it('is cancelled or aborted while a file carries the stop, aborted first', () => {
    expect(settledStatus({ ...none, done: 5, preprocessing_failed: 5, cancelled: 5 })).toBe('cancelled');
    expect(settledStatus({ ...none, preprocessing_failed: 10, overBudget: 4 })).toBe('aborted');
    expect(settledStatus({ ...none, preprocessing_failed: 10, overBudget: 4, cancelled: 2 })).toBe('aborted');
  });
});

describe('budgetExceeded', () => {
  const budget = { maxFailedRatio: 0.5, minFiles: 50 };

  it('waits for min_files to settle', () => {
    expect(budgetExceeded(budget, 49, 49)).toBe(false);
    expect(budgetExceeded(budget, 50, 50)).toBe(true);
  });

  it('needs the failed share strictly above the ratio', () => {
    expect(budgetExceeded(budget, 100, 50)).toBe(false);
    expect(budgetExceeded(budget, 100, 51)).toBe(true);
  });

  it('stops at the first failure with a ratio of 0, never with a ratio of 1', () => {
    expect(budgetExceeded({ maxFailedRatio: 0, minFiles: 0 }, 1, 1)).toBe(true);
    expect(budgetExceeded({ maxFailedRatio: 0, minFiles: 0 }, 0, 0)).toBe(false);
    expect(budgetExceeded({ maxFailedRatio: 1, minFiles: 0 }, 100, 100)).toBe(false);
  });
});

describe('budgetCheckDue', () => {
  const budget = { maxFailedRatio: 0.5, minFiles: 50 };

  it('never counts while this replica sees a share within the budget', () => {
    expect(budgetCheckDue(budget, 100, 50, 0)).toBe(false);
    expect(budgetCheckDue(budget, 1000, 10, 0)).toBe(false);
  });

  it('counts every tenth of min_files at first, so a failing start is caught at min_files', () => {
    expect(budgetCheckDue(budget, 4, 4, 0)).toBe(false);
    expect(budgetCheckDue(budget, 5, 5, 0)).toBe(true);
    expect(budgetCheckDue(budget, 9, 9, 5)).toBe(false);
    expect(budgetCheckDue(budget, 50, 50, 45)).toBe(true);
  });

  it('counts a logarithmic number of times on a program hovering above the ratio', () => {
    let checks = 0;
    let checkedAt = 0;
    for (let settled = 1; settled <= 100_000; settled++) {
      if (budgetCheckDue(budget, settled, Math.ceil(settled * 0.6), checkedAt)) {
        checks++;
        checkedAt = settled;
      }
    }
    expect(checks).toBeLessThan(200);
    expect(checks).toBeGreaterThan(10);
  });
});
