import { Extraction, ExtractionInput, Extractor } from './extractor';
import { withinBudget } from './text-budget';
import { decodeOrFail } from './text-decoding';

export class PlainTextExtractor implements Extractor {
  readonly contentType = 'text/plain';

  // Decoding never makes more UTF-16 units than there are bytes, so checking afterwards is enough.
  async extract({ bytes, maxTextChars }: ExtractionInput): Promise<Extraction> {
    const { text, encoding } = decodeOrFail(bytes);
    return { text: withinBudget(text, maxTextChars), encoding };
  }
}
