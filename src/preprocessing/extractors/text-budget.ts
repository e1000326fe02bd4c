import { PreprocessingError } from '../errors/preprocessing.error';

export function tooLarge(maxTextChars: number): PreprocessingError {
  return new PreprocessingError('TOO_LARGE', `extracted text is longer than the ${maxTextChars}-character limit`);
}

/** Returns `text` when it fits in `maxTextChars` UTF-16 units, else throws TOO_LARGE. */
export function withinBudget(text: string, maxTextChars: number): string {
  if (text.length > maxTextChars) throw tooLarge(maxTextChars);
  return text;
}

/**
 * Running count of the text an extractor produces, for output that can outgrow its input: it throws
 * TOO_LARGE as soon as the total passes the limit, before any more text is built.
 */
export class TextBudget {
  private used = 0;

  constructor(readonly maxTextChars: number) {}

  /** Counts `length` more UTF-16 units of output. */
  spend(length: number): void {
    this.used += length;
    if (this.used > this.maxTextChars) throw tooLarge(this.maxTextChars);
  }
}

/** Lines to be joined with '\n', each paid for (separator included) before it is built. */
export class BudgetedLines {
  private readonly lines: string[] = [];
  private readonly budget: TextBudget;

  constructor(maxTextChars: number) {
    this.budget = new TextBudget(maxTextChars);
  }

  /** Adds a line of `length` units, calling `build` only once the line is known to fit. */
  add(length: number, build: () => string): void {
    this.budget.spend(this.lines.length === 0 ? length : length + 1);
    this.lines.push(build());
  }

  push(line: string): void {
    this.add(line.length, () => line);
  }

  join(): string {
    return this.lines.join('\n');
  }
}
