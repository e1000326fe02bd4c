import { Extraction, ExtractionInput, Extractor } from './extractor';
import { decodeOrFail } from './text-decoding';

export class PlainTextExtractor implements Extractor {
  readonly contentType = 'text/plain';

  async extract({ bytes }: ExtractionInput): Promise<Extraction> {
    return { text: decodeOrFail(bytes) };
  }
}
