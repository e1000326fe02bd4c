import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildPdfBomb, PDF_BOMB_INFLATED_BYTES } from '../../../test/factories/bombs';
import { preloadPdfjs } from '../../../test/support/pdfjs-preload';
import { PreprocessingError } from '../errors/preprocessing.error';
import { MAX_PDF_PAGES, PdfExtractor } from './pdf.extractor';

const FIXTURES = join(__dirname, '..', '..', '..', 'test', 'fixtures', 'formats');
const fixture = (name: string) => readFileSync(join(FIXTURES, name));

/**
 * A minimal valid PDF with one line of Helvetica text per page (empty string: a blank page), and
 * optionally XMP metadata with a dc:title.
 */
function buildPdf(pageTexts: string[], { xmpTitle }: { xmpTitle?: string } = {}): Buffer {
  const objects: string[] = [];
  const pageIds = pageTexts.map((_, i) => 4 + 2 * i);
  const metadataId = 4 + 2 * pageTexts.length;
  objects[1] = `<< /Type /Catalog /Pages 2 0 R${xmpTitle ? ` /Metadata ${metadataId} 0 R` : ''} >>`;
  objects[2] = `<< /Type /Pages /Kids [${pageIds.map((id) => `${id} 0 R`).join(' ')}] /Count ${pageTexts.length} >>`;
  objects[3] = '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>';
  pageTexts.forEach((text, i) => {
    const content = text ? `BT /F1 12 Tf 72 720 Td (${text}) Tj ET` : '';
    objects[4 + 2 * i] =
      `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> /Contents ${5 + 2 * i} 0 R >>`;
    objects[5 + 2 * i] = `<< /Length ${content.length} >>\nstream\n${content}\nendstream`;
  });
  if (xmpTitle) {
    const xmp =
      '<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/">' +
      '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">' +
      '<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/">' +
      `<dc:title><rdf:Alt><rdf:li xml:lang="x-default">${xmpTitle}</rdf:li></rdf:Alt></dc:title>` +
      '</rdf:Description></rdf:RDF></x:xmpmeta><?xpacket end="w"?>';
    objects[metadataId] = `<< /Type /Metadata /Subtype /XML /Length ${xmp.length} >>\nstream\n${xmp}\nendstream`;
  }
  let pdf = '%PDF-1.4\n';
  const offsets: number[] = [];
  for (let id = 1; id < objects.length; id++) {
    offsets.push(pdf.length);
    pdf += `${id} 0 obj\n${objects[id]}\nendobj\n`;
  }
  const xref = pdf.length;
  pdf += `xref\n0 ${objects.length}\n0000000000 65535 f \n`;
  pdf += offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`).join('');
  pdf += `trailer\n<< /Size ${objects.length} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(pdf, 'latin1');
}

/** A PDF encrypted with a user password (pdfkit, a dev dependency, has no type declarations here). */
function buildPasswordProtectedPdf(): Promise<Buffer> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const PDFDocument = require('pdfkit') as new (options: object) => NodeJS.EventEmitter & {
    text(s: string): unknown;
    end(): void;
  };
  return new Promise((resolve, reject) => {
    const doc = new PDFDocument({ userPassword: 'secret', ownerPassword: 'owner', pdfVersion: '1.7' });
    const chunks: Buffer[] = [];
    doc.on('data', (c: Buffer) => chunks.push(c));
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
    doc.text('Secret text');
    doc.end();
  });
}

describe('PdfExtractor', () => {
  const sut = new PdfExtractor();
  const extract = (bytes: Buffer, fileName = 'doc.pdf', signal = new AbortController().signal) =>
    sut.extract({ bytes, fileName, signal, maxTextChars: 100_000_000 });

  beforeAll(preloadPdfjs);

  it('handles application/pdf', () => {
    expect(sut.contentType).toBe('application/pdf');
  });

  describe('sample.pdf', () => {
    it('extracts the text of both pages, in order', async () => {
      const { text } = await extract(fixture('sample.pdf'), 'sample.pdf');
      const first = text.indexOf('This is the first page of the PDF fixture.');
      const second = text.indexOf('The second page of the PDF fixture says goodbye.');
      expect(first).toBeGreaterThanOrEqual(0);
      expect(second).toBeGreaterThan(first);
    });

    it('counts the pages and takes the title from Info.Title', async () => {
      const { pages, title } = await extract(fixture('sample.pdf'), 'sample.pdf');
      expect(pages).toBe(2);
      expect(title).toBe('PDF Title');
    });
  });

  it('gives one segment per page, numbered from 1, blank pages left out, joined by a blank line', async () => {
    const result = await extract(buildPdf(['Alpha page', '', 'Gamma page']));
    expect(result.pages).toBe(3);
    expect(result.segments?.map((s) => [s.text.trim(), s.page])).toEqual([
      ['Alpha page', 1],
      ['Gamma page', 3],
    ]);
    expect(result.text).toBe(result.segments?.map((s) => s.text).join('\n\n'));
  });

  it('takes the title from the XMP metadata (dc:title) when Info has none', async () => {
    expect(await extract(buildPdf(['Text'], { xmpTitle: 'XMP  Title' }))).toMatchObject({ title: 'XMP Title' });
  });

  it('has no title when the document declares none', async () => {
    const result = await extract(buildPdf(['Untitled text']));
    expect(result).toMatchObject({ pages: 1, title: undefined });
    expect(result.text).toContain('Untitled text');
  });

  it('refuses a PDF header followed by garbage as CORRUPT_FILE', async () => {
    const error = await extract(fixture('corrupt.pdf'), 'corrupt.pdf').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PreprocessingError);
    expect(error).toMatchObject({ code: 'CORRUPT_FILE', retryable: false });
  });

  it("says why in its own words, quoting nothing of pdf.js's message (which may quote the file)", async () => {
    await expect(extract(fixture('corrupt.pdf'), 'corrupt.pdf')).rejects.toMatchObject({
      message: 'unreadable PDF: invalid structure',
    });
  });

  it('refuses a password-protected PDF as CORRUPT_FILE', async () => {
    await expect(extract(await buildPasswordProtectedPdf())).rejects.toMatchObject({
      code: 'CORRUPT_FILE',
      message: 'PDF is password-protected',
    });
  });

  it('refuses random bytes as CORRUPT_FILE', async () => {
    await expect(extract(fixture('junk.bin'), 'junk.pdf')).rejects.toMatchObject({ code: 'CORRUPT_FILE' });
  });

  it('refuses a PDF cut in half (no cross-reference table, no trailer) as CORRUPT_FILE', async () => {
    const sample = fixture('sample.pdf');
    await expect(extract(sample.subarray(0, Math.floor(sample.length / 2)))).rejects.toMatchObject({
      code: 'CORRUPT_FILE',
    });
  });

  it(`accepts exactly ${MAX_PDF_PAGES} pages`, async () => {
    const pages = Array.from({ length: MAX_PDF_PAGES }, () => '');
    pages[MAX_PDF_PAGES - 1] = 'Last page';
    const result = await extract(buildPdf(pages));
    expect(result.pages).toBe(MAX_PDF_PAGES);
    expect(result.text).toContain('Last page');
  });

  it(`refuses more than ${MAX_PDF_PAGES} pages as CORRUPT_FILE with the count and the limit`, async () => {
    const error = await extract(buildPdf(Array.from({ length: MAX_PDF_PAGES + 1 }, () => ''))).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PreprocessingError);
    expect(error).toMatchObject({
      code: 'CORRUPT_FILE',
      message: `PDF has ${MAX_PDF_PAGES + 1} pages, over the limit of ${MAX_PDF_PAGES}`,
    });
  });

  describe('decompression bombs (peak memory: decompression-bombs.spec.ts)', () => {
    it(`refuses a content stream that inflates to ${PDF_BOMB_INFLATED_BYTES} bytes as TOO_LARGE`, async () => {
      const bomb = buildPdfBomb();
      expect(bomb.length).toBeLessThan(64 * 1024);
      const error = await extract(bomb, 'bomb.pdf').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(PreprocessingError);
      expect(error).toMatchObject({
        code: 'TOO_LARGE',
        retryable: false,
        message: expect.stringMatching(/^PDF needs more than the 256 MiB of buffer memory/),
      });
    });

    it('refuses a bomb in the XMP metadata, which pdf.js reads whole and then ignores the failure of', async () => {
      await expect(extract(buildPdfBomb({ metadataBomb: true }))).rejects.toMatchObject({ code: 'TOO_LARGE' });
    });

    it('still reads an ordinary PDF afterwards', async () => {
      await extract(buildPdfBomb()).catch(() => undefined);
      expect((await extract(fixture('sample.pdf'), 'sample.pdf')).pages).toBe(2);
    });
  });

  it('stops when the signal aborts mid-way, failing with its reason', async () => {
    // pdf.js's in-thread "worker" answers through promises alone, so no timer could fire before the
    // end: the signal aborts itself the 100th time the extractor looks at it (once a page).
    const controller = new AbortController();
    const { signal } = controller;
    const check = signal.throwIfAborted.bind(signal);
    let looks = 0;
    signal.throwIfAborted = () => {
      if (++looks === 100) controller.abort(new Error('timed out'));
      check();
    };
    const pages = Array.from({ length: MAX_PDF_PAGES }, (_, i) => `Page ${i + 1}`);
    await expect(extract(buildPdf(pages), 'long.pdf', signal)).rejects.toThrow('timed out');
    expect(looks).toBeLessThan(110);
  });

  it('does not start on an already aborted signal', async () => {
    const controller = new AbortController();
    controller.abort(new Error('timed out'));
    await expect(extract(fixture('sample.pdf'), 'sample.pdf', controller.signal)).rejects.toThrow('timed out');
  });
});
