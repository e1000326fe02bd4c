import { Injectable } from '@nestjs/common';
import { Extraction, ExtractionInput, Extractor } from './extractor';
import { decodeOrFail } from './text-decoding';

@Injectable()
export class PlainTextExtractor implements Extractor {
  readonly contentType = 'text/plain';

  async extract({ bytes }: ExtractionInput): Promise<Extraction> {
    return { text: decodeOrFail(bytes) };
  }
}
