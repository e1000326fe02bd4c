import { PreprocessingError } from '../errors/preprocessing.error';
import { Extraction, ExtractionInput, Extractor } from './extractor';
import { decodeOrFail } from './text-decoding';

// Deeper documents are refused rather than walked: recursion depth is a resource like any other.
const MAX_DEPTH = 64;

/** Text of a JSON document: one "path: value" line per scalar, so keys keep their meaning. */
export class JsonExtractor implements Extractor {
  readonly contentType = 'application/json';

  async extract({ bytes }: ExtractionInput): Promise<Extraction> {
    let value: unknown;
    try {
      value = JSON.parse(decodeOrFail(bytes));
    } catch (e) {
      if (e instanceof PreprocessingError) throw e;
      throw new PreprocessingError('CORRUPT_FILE', `invalid JSON: ${(e as Error).message}`);
    }
    const lines: string[] = [];
    flatten(value, '', 0, lines);
    const title =
      value && typeof value === 'object' && !Array.isArray(value)
        ? pickTitle(value as Record<string, unknown>)
        : undefined;
    return { text: lines.join('\n'), title };
  }
}

function pickTitle(obj: Record<string, unknown>): string | undefined {
  for (const key of ['title', 'name', 'subject']) {
    const v = obj[key];
    if (typeof v === 'string' && v.trim()) return v.trim();
  }
  return undefined;
}

function flatten(value: unknown, path: string, depth: number, out: string[]): void {
  if (depth > MAX_DEPTH) throw new PreprocessingError('CORRUPT_FILE', `JSON nested deeper than ${MAX_DEPTH} levels`);
  if (value === null || value === undefined) return;
  if (Array.isArray(value)) {
    value.forEach((v, i) => flatten(v, `${path}[${i}]`, depth + 1, out));
  } else if (typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) flatten(v, path ? `${path}.${k}` : k, depth + 1, out);
  } else {
    out.push(path ? `${path}: ${String(value)}` : String(value));
  }
}
