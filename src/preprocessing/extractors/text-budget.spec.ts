import { PreprocessingError } from '../errors/preprocessing.error';
import { BudgetedLines, TextBudget, tooLarge, withinBudget } from './text-budget';

describe('text budget', () => {
  it('makes a non-retryable TOO_LARGE error naming the limit', () => {
    const error = tooLarge(10);
    expect(error).toBeInstanceOf(PreprocessingError);
    expect(error).toMatchObject({ code: 'TOO_LARGE', retryable: false, message: expect.stringContaining('10') });
  });

  describe('withinBudget', () => {
    it('passes text of up to the limit through and refuses longer text', () => {
      expect(withinBudget('abc', 3)).toBe('abc');
      expect(() => withinBudget('abcd', 3)).toThrow(expect.objectContaining({ code: 'TOO_LARGE' }));
    });

    it('counts UTF-16 units', () => {
      expect(() => withinBudget('😀😀', 3)).toThrow(PreprocessingError);
    });
  });

  describe('TextBudget', () => {
    it('throws as soon as the running total passes the limit', () => {
      const budget = new TextBudget(10);
      budget.spend(4);
      budget.spend(6);
      expect(() => budget.spend(1)).toThrow(expect.objectContaining({ code: 'TOO_LARGE' }));
    });
  });

  describe('BudgetedLines', () => {
    it('joins lines with newlines, counting each separator', () => {
      const lines = new BudgetedLines(7);
      lines.push('abc');
      lines.push('def');
      expect(lines.join()).toBe('abc\ndef');
      expect(() => lines.push('')).toThrow(expect.objectContaining({ code: 'TOO_LARGE' }));
    });

    it('does not build a line that would not fit', () => {
      const lines = new BudgetedLines(5);
      const build = jest.fn(() => 'x'.repeat(6));
      expect(() => lines.add(6, build)).toThrow(PreprocessingError);
      expect(build).not.toHaveBeenCalled();
    });

    it('gives empty text for no lines', () => {
      expect(new BudgetedLines(0).join()).toBe('');
    });
  });
});
