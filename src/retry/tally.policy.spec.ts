import { tallyAttempts } from './tally.policy';

describe('tallyAttempts', () => {
  const sut = tallyAttempts;

  it('counts nothing for a run without attempts', () => {
    expect(sut([])).toEqual({
      preprocessing: { retried: 0, success: 0, failed: 0 },
      document: { retried: 0, success: 0, failed: 0 },
    });
  });

  it('counts a preprocessing pass once there, and under document when it got that far', () => {
    expect(
      sut([
        { entry_stage: 'preprocessing', stage: 'preprocessing', outcome: 'failed', n: 1 },
        { entry_stage: 'preprocessing', stage: 'document', outcome: 'succeeded', n: 3 },
        { entry_stage: 'preprocessing', stage: 'document', outcome: 'failed', n: 2 },
      ]),
    ).toEqual({
      preprocessing: { retried: 6, success: 5, failed: 1 },
      document: { retried: 5, success: 3, failed: 2 },
    });
  });

  it('counts a Document pass under document only', () => {
    expect(
      sut([
        { entry_stage: 'document', stage: 'document', outcome: 'succeeded', n: 3 },
        { entry_stage: 'document', stage: 'document', outcome: 'failed', n: 2 },
      ]),
    ).toEqual({
      preprocessing: { retried: 0, success: 0, failed: 0 },
      document: { retried: 5, success: 3, failed: 2 },
    });
  });
});
