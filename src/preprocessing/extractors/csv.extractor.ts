import { CsvError, parse } from 'csv-parse/sync';
import { PreprocessingError } from '../errors/preprocessing.error';
import { Extraction, ExtractionInput, Extractor } from './extractor';
import { decodeOrFail } from './text-decoding';

const CELL_SEPARATOR = ' | ';

/**
 * Text of a CSV file (RFC 4180, comma-separated): one line per record, header included, cells
 * joined by " | " so a cell's commas stay readable. Rows may differ in length; broken quoting is
 * CORRUPT_FILE. A CSV has no title of its own.
 */
export class CsvExtractor implements Extractor {
  readonly contentType = 'text/csv';

  async extract({ bytes }: ExtractionInput): Promise<Extraction> {
    const csv = decodeOrFail(bytes);
    let records: string[][];
    try {
      records = parse(csv, {
        relax_column_count: true,
        skip_empty_lines: true,
        // Whitespace around unquoted cells and before an opening quote (`a, "b"`) is not content.
        trim: true,
      });
    } catch (e) {
      if (e instanceof CsvError) throw new PreprocessingError('CORRUPT_FILE', `invalid CSV: ${e.message}`);
      throw e;
    }
    const lines: string[] = [];
    for (const record of records) {
      // A quoted cell may hold line breaks; the record stays on one line.
      const cells = record.map((cell) => cell.replace(/\s*[\r\n]+\s*/g, ' '));
      if (cells.some((cell) => cell !== '')) lines.push(cells.join(CELL_SEPARATOR));
    }
    return { text: lines.join('\n') };
  }
}
