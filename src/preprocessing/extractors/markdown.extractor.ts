import { Extraction, ExtractionInput, Extractor } from './extractor';
import { decodeOrFail } from './text-decoding';

// ATX heading of level 1 or 2 ("# Title"), the usual place of a Markdown document's title.
const HEADING_RE = /^ {0,3}#{1,2}[ \t]+(.+?)[ \t#]*$/m;

export class MarkdownExtractor implements Extractor {
  readonly contentType = 'text/markdown';

  async extract({ bytes }: ExtractionInput): Promise<Extraction> {
    const text = decodeOrFail(bytes);
    const title = HEADING_RE.exec(text)?.[1]?.trim();
    return { text, title: title || undefined };
  }
}
