import { CsvError, parse } from 'csv-parse/sync';
import { PreprocessingError } from '../errors/preprocessing.error';
import { Extraction, ExtractionInput, Extractor } from './extractor';
import { BudgetedLines } from './text-budget';
import { decodeOrFail } from './text-decoding';

const CELL_SEPARATOR = ' | ';

/**
 * Text of a CSV file (RFC 4180, comma-separated): one line per record, header included, cells
 * joined by " | " so a cell's commas stay readable. Rows may differ in length; broken quoting is
 * CORRUPT_FILE. A CSV has no title of its own. The separator makes the text up to three times as
 * long as the file (",,,"), so lines are counted against the budget as records are parsed.
 */
export class CsvExtractor implements Extractor {
  readonly contentType = 'text/csv';

  async extract({ bytes, maxTextChars }: ExtractionInput): Promise<Extraction> {
    const { text: csv, encoding } = decodeOrFail(bytes);
    const lines = new BudgetedLines(maxTextChars);
    try {
      parse(csv, {
        relax_column_count: true,
        skip_empty_lines: true,
        // Whitespace around unquoted cells and before an opening quote (`a, "b"`) is not content.
        trim: true,
        // Each record becomes its line at once (and is dropped): no array of every record is kept.
        on_record: (record: string[]) => {
          const cells = record.map(joinLineBreaks);
          if (cells.some((cell) => cell !== '')) lines.push(cells.join(CELL_SEPARATOR));
          return null;
        },
      });
    } catch (e) {
      // The parser's message quotes the offending bytes; a failure record never carries file contents.
      if (e instanceof CsvError)
        throw new PreprocessingError('CORRUPT_FILE', `invalid CSV (${String(e.code)}) near line ${Number(e.lines)}`);
      throw e;
    }
    return { text: lines.join(), encoding };
  }
}

// One greedy run with nothing after it matches without backtracking, unlike `\s*[\r\n]+\s*`, which
// retries from every position of a long run of spaces that holds no line break (quadratic).
const WHITESPACE_RUN = /\s+/g;
const LINE_BREAK = /[\r\n]/;

/** A quoted cell may hold line breaks; the record stays on one line, each such break one space. */
function joinLineBreaks(cell: string): string {
  if (!LINE_BREAK.test(cell)) return cell;
  return cell.replace(WHITESPACE_RUN, (run) => (LINE_BREAK.test(run) ? ' ' : run));
}
