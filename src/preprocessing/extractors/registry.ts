import { CsvExtractor } from './csv.extractor';
import { DocxExtractor } from './docx.extractor';
import type { Extractor } from './extractor';
import { HtmlExtractor } from './html.extractor';
import { JsonExtractor } from './json.extractor';
import { MarkdownExtractor } from './markdown.extractor';
import { PdfExtractor } from './pdf.extractor';
import { PlainTextExtractor } from './plain-text.extractor';

/**
 * Every supported format, one line each: adding a format is one extractor file and one line here.
 * Plain instances (no DI): they run inside extraction worker threads.
 */
export const EXTRACTORS: readonly Extractor[] = [
  new PlainTextExtractor(),
  new MarkdownExtractor(),
  new HtmlExtractor(),
  new CsvExtractor(),
  new JsonExtractor(),
  new PdfExtractor(),
  new DocxExtractor(),
];

const BY_TYPE = new Map(EXTRACTORS.map((e) => [e.contentType, e]));

export function findExtractor(contentType: string): Extractor | undefined {
  return BY_TYPE.get(contentType);
}
