import { getResolvedPDFJS } from 'unpdf';
import { PreprocessingError } from '../errors/preprocessing.error';
import { installAllocationGuard, withAllocationBudget } from './allocation-budget';
import { Extraction, ExtractionInput, Extractor, fromSegments, SEGMENT_SEPARATOR } from './extractor';
import { TextBudget } from './text-budget';

/** A PDF with more pages is refused before any page is read. */
export const MAX_PDF_PAGES = 2000;

// pdf.js log level: errors only (the default also prints warnings about fonts and broken objects).
const VERBOSITY_ERRORS = 0;

type PdfJs = Awaited<ReturnType<typeof getResolvedPDFJS>>;
type PdfDocument = Awaited<ReturnType<PdfJs['getDocument']>['promise']>;
type TextContentItem = Awaited<
  ReturnType<Awaited<ReturnType<PdfDocument['getPage']>>['getTextContent']>
>['items'][number];

/**
 * pdf.js (6.x, the serverless build that unpdf ships: parser and "fake worker" in one ES module, no
 * canvas, no native code). unpdf loads it with a dynamic import() on first use, which plain Node does
 * (the extraction worker threads, CommonJS) and jest's CommonJS sandbox cannot: specs hand it a
 * CommonJS copy first (see pdf.extractor.spec.ts).
 *
 * The allocation guard goes in before that first load, so that pdf.js, whatever it keeps of the
 * global typed-array constructors when it loads, keeps the guarded ones.
 */
function loadPdfjs(): Promise<PdfJs> {
  installAllocationGuard();
  return getResolvedPDFJS();
}

/**
 * Text of a PDF, one segment per page (so each chunk can say which pages it comes from); title from
 * the document information dictionary (Info.Title), else from the XMP metadata (dc:title).
 */
export class PdfExtractor implements Extractor {
  readonly contentType = 'application/pdf';

  async extract({ bytes, signal, maxTextChars }: ExtractionInput): Promise<Extraction> {
    signal.throwIfAborted();
    // pdf.js keeps each decoded stream whole in one growing Uint8Array, outside the worker's heap
    // limit: a few KB of chained /FlateDecode would take gigabytes (see allocation-budget.ts).
    return withAllocationBudget('PDF', () => this.parse(bytes, signal, maxTextChars));
  }

  private async parse(bytes: Buffer, signal: AbortSignal, maxTextChars: number): Promise<Extraction> {
    const { getDocument } = await loadPdfjs();
    signal.throwIfAborted();
    const loadingTask = getDocument({
      // A copy: pdf.js takes ownership of (transfers, then detaches) the array it is given.
      data: new Uint8Array(bytes),
      verbosity: VERBOSITY_ERRORS,
      // Text only: no fonts loaded into a DOM, and nothing fetched (standard fonts, CMaps, wasm
      // decoders for images). pdf.js 6 no longer compiles fonts with eval() at all.
      disableFontFace: true,
      useSystemFonts: false,
      useWorkerFetch: false,
      useWasm: false,
    });
    const onAbort = () => void loadingTask.destroy().catch(() => undefined);
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      // Reads the trailer, cross-reference table and page tree, not the pages' content.
      const pdf = await loadingTask.promise;
      if (pdf.numPages > MAX_PDF_PAGES) {
        throw new PreprocessingError(
          'CORRUPT_FILE',
          `PDF has ${pdf.numPages} pages, over the limit of ${MAX_PDF_PAGES}`,
        );
      }
      signal.throwIfAborted();
      const { info, metadata } = await pdf.getMetadata();
      signal.throwIfAborted();
      const pages = await readPages(pdf, signal, new TextBudget(maxTextChars));
      return {
        ...fromSegments(pages.map((text, i) => ({ text, page: i + 1 }))),
        title: pickTitle(info, metadata),
        pages: pdf.numPages,
      };
    } catch (e) {
      // Aborted: pdf.js fails whatever it was doing ("Worker was destroyed"); the reason is the abort.
      signal.throwIfAborted();
      if (e instanceof PreprocessingError) throw e;
      throw unreadable(e);
    } finally {
      signal.removeEventListener('abort', onAbort);
      await loadingTask.destroy().catch(() => undefined);
    }
  }
}

/** Each page's text in turn (not all pages at once: one page's content in memory at a time). */
async function readPages(pdf: PdfDocument, signal: AbortSignal, budget: TextBudget): Promise<string[]> {
  const pages: string[] = [];
  let kept = 0; // pages with text, which fromSegments joins
  for (let n = 1; n <= pdf.numPages; n++) {
    const page = await pdf.getPage(n);
    const content = await page.getTextContent();
    page.cleanup();
    signal.throwIfAborted();
    const text = pageText(content.items);
    if (text.trim() !== '') budget.spend(text.length + (kept++ > 0 ? SEGMENT_SEPARATOR.length : 0));
    pages.push(text);
  }
  return pages;
}

/** pdf.js gives runs of text (spaces between words included) and marks the ends of lines. */
function pageText(items: readonly TextContentItem[]): string {
  let text = '';
  for (const item of items) {
    if (!('str' in item)) continue; // a marked-content marker
    text += item.str;
    if (item.hasEOL) text += '\n';
  }
  return text;
}

/**
 * pdf.js's own messages may quote the file (a bad token, a stream's bytes): only the kind of failure
 * is kept, from pdf.js's exception names.
 */
function unreadable(e: unknown): PreprocessingError {
  const name = (e as { name?: unknown } | null)?.name;
  if (name === 'PasswordException') return new PreprocessingError('CORRUPT_FILE', 'PDF is password-protected');
  if (name === 'InvalidPDFException')
    return new PreprocessingError('CORRUPT_FILE', 'unreadable PDF: invalid structure');
  // An allocation the budget refused (withAllocationBudget then fails with TOO_LARGE), or a stack overflow.
  if (e instanceof RangeError) return new PreprocessingError('CORRUPT_FILE', 'unreadable PDF: beyond what can be read');
  const kind = typeof name === 'string' && /^[A-Za-z]{1,40}$/.test(name) && name !== 'Error' ? ` (${name})` : '';
  return new PreprocessingError('CORRUPT_FILE', `unreadable PDF${kind}`);
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
