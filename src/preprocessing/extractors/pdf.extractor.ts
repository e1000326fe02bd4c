import { PasswordException, PDFParse } from 'pdf-parse';
import { PreprocessingError } from '../errors/preprocessing.error';
import { withAllocationBudget } from './allocation-budget';
import { Extraction, ExtractionInput, Extractor } from './extractor';

/** A PDF with more pages is refused before any page is read. */
export const MAX_PDF_PAGES = 2000;

// pdf.js log level: errors only (the default also prints warnings about fonts and broken objects).
const VERBOSITY_ERRORS = 0;
const PAGE_SEPARATOR = '\n\n';

/**
 * Text of a PDF with pdf.js (through pdf-parse), page by page; title from the document information
 * dictionary (Info.Title), else from the XMP metadata (dc:title).
 *
 * pdf.js loads its parser with a dynamic import() of pdf.worker.mjs, which plain Node (the extraction
 * worker threads) does but jest's CommonJS sandbox cannot: specs preload it (see pdf.extractor.spec.ts).
 */
export class PdfExtractor implements Extractor {
  readonly contentType = 'application/pdf';

  async extract({ bytes, signal }: ExtractionInput): Promise<Extraction> {
    signal.throwIfAborted();
    // pdf.js keeps each decoded stream whole in one growing Uint8Array, outside the worker's heap
    // limit: a few KB of chained /FlateDecode would take gigabytes (see allocation-budget.ts).
    return withAllocationBudget('PDF', () => this.parse(bytes, signal));
  }

  private async parse(bytes: Buffer, signal: AbortSignal): Promise<Extraction> {
    const parser = new PDFParse({
      // A copy: pdf.js takes ownership of the array it is given.
      data: new Uint8Array(bytes),
      verbosity: VERBOSITY_ERRORS,
      isEvalSupported: false,
    });
    const onAbort = () => void parser.destroy().catch(() => undefined);
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      // Reads the trailer, cross-reference table and page tree, not the pages' content.
      const info = await parser.getInfo();
      if (info.total > MAX_PDF_PAGES) {
        throw new PreprocessingError('CORRUPT_FILE', `PDF has ${info.total} pages, over the limit of ${MAX_PDF_PAGES}`);
      }
      signal.throwIfAborted();
      const result = await parser.getText({ pageJoiner: '' });
      signal.throwIfAborted();
      return {
        text: result.pages.map((page) => page.text).join(PAGE_SEPARATOR),
        title: pickTitle(info.info, info.metadata),
        pages: info.total,
      };
    } catch (e) {
      if (e instanceof PreprocessingError || signal.aborted) throw e;
      if (e instanceof PasswordException) throw new PreprocessingError('CORRUPT_FILE', 'PDF is password-protected');
      throw new PreprocessingError('CORRUPT_FILE', `unreadable PDF: ${(e as Error)?.message ?? String(e)}`);
    } finally {
      signal.removeEventListener('abort', onAbort);
      await parser.destroy().catch(() => undefined);
    }
  }
}

function pickTitle(info: unknown, metadata: { get(name: string): unknown } | null | undefined): string | undefined {
  const candidates = [(info as { Title?: unknown } | undefined)?.Title, metadata?.get('dc:title')];
  for (const candidate of candidates) {
    if (typeof candidate !== 'string') continue;
    const title = candidate.replace(/\s+/g, ' ').trim();
    if (title) return title;
  }
  return undefined;
}
