import { PreprocessingError } from '../errors/preprocessing.error';
import { Extraction, ExtractionInput, Extractor } from './extractor';
import { BudgetedLines } from './text-budget';
import { decodeOrFail } from './text-decoding';

// Deeper documents are refused rather than walked: recursion depth is a resource like any other.
// (JSON.parse itself copes with any depth; only the walk below recurses.)
const MAX_DEPTH = 64;

/**
 * Text of a JSON document: one "path: value" line per scalar, so keys keep their meaning. Every line
 * repeats its whole path, so the text can be far longer than the file (long keys over a big array):
 * it is counted against the budget line by line, before each line is built.
 */
export class JsonExtractor implements Extractor {
  readonly contentType = 'application/json';

  async extract({ bytes, maxTextChars }: ExtractionInput): Promise<Extraction> {
    const { text: source, encoding } = decodeOrFail(bytes);
    let value: unknown;
    try {
      value = JSON.parse(source);
    } catch {
      // V8's message quotes the text around the error; a failure record never carries file contents.
      throw new PreprocessingError('CORRUPT_FILE', 'invalid JSON');
    }
    const lines = new BudgetedLines(maxTextChars);
    new Flattener(lines).walk(value, 0);
    const title =
      value && typeof value === 'object' && !Array.isArray(value)
        ? pickTitle(value as Record<string, unknown>)
        : undefined;
    return { text: lines.join(), title, encoding };
  }
}

function pickTitle(obj: Record<string, unknown>): string | undefined {
  for (const key of ['title', 'name', 'subject']) {
    const v = obj[key];
    if (typeof v === 'string' && v.trim()) return v.trim();
  }
  return undefined;
}

/**
 * The path is kept as a stack of segments with their total length, and joined only for a line that
 * has been paid for: building every path up front would cost as much as the text it is refused for.
 */
class Flattener {
  private readonly segments: string[] = [];
  private pathLength = 0;

  constructor(private readonly lines: BudgetedLines) {}

  walk(value: unknown, depth: number): void {
    if (depth > MAX_DEPTH) throw new PreprocessingError('CORRUPT_FILE', `JSON nested deeper than ${MAX_DEPTH} levels`);
    if (value === null || value === undefined) return;
    if (Array.isArray(value)) {
      value.forEach((v, i) => this.within(`[${i}]`, v, depth));
    } else if (typeof value === 'object') {
      for (const [k, v] of Object.entries(value)) this.within(this.pathLength ? `.${k}` : k, v, depth);
    } else {
      // A scalar here (JSON.parse makes strings, numbers and booleans; objects and arrays are walked above).
      this.emit(typeof value === 'string' ? value : JSON.stringify(value));
    }
  }

  private within(segment: string, value: unknown, depth: number): void {
    this.segments.push(segment);
    this.pathLength += segment.length;
    this.walk(value, depth + 1);
    this.segments.pop();
    this.pathLength -= segment.length;
  }

  private emit(scalar: string): void {
    if (this.pathLength === 0) {
      this.lines.push(scalar);
      return;
    }
    this.lines.add(this.pathLength + 2 + scalar.length, () => `${this.segments.join('')}: ${scalar}`);
  }
}
