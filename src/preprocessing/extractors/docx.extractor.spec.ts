import JSZip from 'jszip';
import mammoth from 'mammoth';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildDocxBomb, DOCX_BOMB_DECLARED_BYTES, DOCX_BOMB_INFLATED_BYTES } from '../../../test/factories/bombs';
import { PreprocessingError } from '../errors/preprocessing.error';
import { DocxExtractor, MAX_DOCX_COMPRESSION_RATIO, MAX_DOCX_UNCOMPRESSED_BYTES } from './docx.extractor';

const FIXTURES = join(__dirname, '..', '..', '..', 'test', 'fixtures', 'formats');
const fixture = (name: string) => readFileSync(join(FIXTURES, name));

const W_NS = 'http://schemas.openxmlformats.org/wordprocessingml/2006/main';
const documentXml = (...paragraphs: string[]) =>
  `<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="${W_NS}"><w:body>` +
  paragraphs.map((p) => `<w:p><w:r><w:t>${p}</w:t></w:r></w:p>`).join('') +
  '</w:body></w:document>';
const ROOT_RELS =
  '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">' +
  '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/>' +
  '</Relationships>';

/** A DOCX-shaped ZIP built in memory from the given entries. */
async function zipOf(entries: Record<string, string>): Promise<Buffer> {
  const zip = new JSZip();
  for (const [name, content] of Object.entries(entries)) zip.file(name, content);
  return zip.generateAsync({ type: 'nodebuffer', compression: 'DEFLATE' });
}

describe('DocxExtractor', () => {
  const sut = new DocxExtractor();
  const extract = (bytes: Buffer, fileName = 'doc.docx') =>
    sut.extract({ bytes, fileName, signal: new AbortController().signal, maxTextChars: 100_000_000 });

  afterEach(() => jest.restoreAllMocks());

  it('handles the DOCX content type', () => {
    expect(sut.contentType).toBe('application/vnd.openxmlformats-officedocument.wordprocessingml.document');
  });

  describe('sample.docx', () => {
    it('extracts the text of both paragraphs', async () => {
      const { text } = await extract(fixture('sample.docx'), 'sample.docx');
      expect(text).toContain('The first paragraph of the DOCX fixture.');
      expect(text).toContain('The second paragraph has bold text and 한국어.');
    });

    it('reports no encoding and has one section without headings', async () => {
      const { segments, encoding } = await extract(fixture('sample.docx'), 'sample.docx');
      expect(encoding).toBeUndefined();
      expect(segments).toEqual([
        {
          text: 'The first paragraph of the DOCX fixture.\n\nThe second paragraph has bold text and 한국어.',
          headingPath: [],
        },
      ]);
    });

    it('takes the title from the core properties (dc:title)', async () => {
      const { title, text, pages } = await extract(fixture('sample.docx'), 'sample.docx');
      expect(title).toBe('DOCX Title');
      expect(text).not.toContain('DOCX Title');
      expect(pages).toBeUndefined();
    });
  });

  it('keeps the headings, lists and table of structure.docx, in sections', async () => {
    const { segments, title } = await extract(fixture('structure.docx'), 'structure.docx');
    expect(title).toBe('Structure DOCX Title');
    const sections = segments?.map((s) => [s.text.split('\n\nSentence 1 ')[0], s.headingPath]);
    expect(sections).toEqual([
      ['An introduction before any heading.', []],
      ['Project Overview', ['Project Overview']],
      ['Goals\n\n- Fast ingestion\n- Reliable retries', ['Project Overview', 'Goals']],
      ['Schedule\n\nPhase | Month\nDesign | January\nBuild | February', ['Project Overview', 'Schedule']],
      ['Appendix\n\n1. Read the guide\n2. Ask a question', ['Appendix']],
    ]);
  });

  it('does not inline images (no base64 data URIs in the text)', async () => {
    const convertToHtml = jest.spyOn(mammoth, 'convertToHtml');
    await extract(fixture('sample.docx'), 'sample.docx');
    expect(convertToHtml).toHaveBeenCalledWith(
      expect.anything(),
      expect.objectContaining({ convertImage: expect.any(Function) }),
    );
  });

  it('has no title without core properties, even with a first line that looks like one', async () => {
    const bytes = await zipOf({
      '_rels/.rels': ROOT_RELS,
      'word/document.xml': documentXml('Looks Like A Title', 'Body text.'),
    });
    const result = await extract(bytes);
    expect(result.title).toBeUndefined();
    expect(result.text).toContain('Looks Like A Title');
    expect(result.text).toContain('Body text.');
  });

  it('finds the core properties where the package relationships point', async () => {
    const rels = ROOT_RELS.replace(
      '</Relationships>',
      '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties" Target="/meta/props.xml"/></Relationships>',
    );
    const core =
      '<?xml version="1.0"?><cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" ' +
      'xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title> Elsewhere  Title </dc:title></cp:coreProperties>';
    const bytes = await zipOf({
      '_rels/.rels': rels,
      'meta/props.xml': core,
      'word/document.xml': documentXml('Text.'),
    });
    expect((await extract(bytes)).title).toBe('Elsewhere Title');
  });

  it('refuses a truncated DOCX as CORRUPT_FILE', async () => {
    const error = await extract(fixture('truncated.docx'), 'truncated.docx').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PreprocessingError);
    expect(error).toMatchObject({
      code: 'CORRUPT_FILE',
      retryable: false,
      message: expect.stringContaining('not a valid DOCX'),
    });
  });

  it('refuses bytes that are no ZIP as CORRUPT_FILE', async () => {
    await expect(extract(fixture('junk.bin'), 'junk.docx')).rejects.toMatchObject({ code: 'CORRUPT_FILE' });
  });

  it('refuses a ZIP without a Word document as CORRUPT_FILE', async () => {
    const bytes = await zipOf({ 'hello.txt': 'not a Word document' });
    await expect(extract(bytes)).rejects.toMatchObject({
      code: 'CORRUPT_FILE',
      message: expect.stringMatching(/^unreadable DOCX: /),
    });
  });

  describe('zip bombs', () => {
    it(`refuses zip-bomb.docx (over ${MAX_DOCX_UNCOMPRESSED_BYTES / 1024 / 1024} MiB declared) before inflating anything`, async () => {
      const convertToHtml = jest.spyOn(mammoth, 'convertToHtml');
      const loadAsync = jest.spyOn(JSZip, 'loadAsync');
      const error = await extract(fixture('zip-bomb.docx'), 'zip-bomb.docx').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(PreprocessingError);
      expect(error).toMatchObject({
        code: 'CORRUPT_FILE',
        message: expect.stringContaining('more than the 200 MiB limit'),
      });
      // Neither mammoth nor jszip ever saw the archive: only its central directory was read.
      expect(convertToHtml).not.toHaveBeenCalled();
      expect(loadAsync).not.toHaveBeenCalled();
    });

    it(`refuses an entry compressed more than ${MAX_DOCX_COMPRESSION_RATIO}:1, even when small in total`, async () => {
      // 2 MiB of one letter deflates about 1000:1; the total stays far below the size limit.
      const bytes = await zipOf({
        '_rels/.rels': ROOT_RELS,
        'word/document.xml': documentXml('A'.repeat(2 * 1024 * 1024)),
      });
      const convertToHtml = jest.spyOn(mammoth, 'convertToHtml');
      const error = await extract(bytes).catch((e: unknown) => e);
      expect(error).toMatchObject({
        code: 'CORRUPT_FILE',
        message: expect.stringMatching(
          /^DOCX entry word\/document\.xml has a compression ratio of \d+:1, over the 200:1 limit$/,
        ),
      });
      expect(convertToHtml).not.toHaveBeenCalled();
    });

    it('refuses an entry that declares 4 KiB but inflates to 1 GiB, one chunk past the lie', async () => {
      expect([DOCX_BOMB_DECLARED_BYTES, DOCX_BOMB_INFLATED_BYTES]).toEqual([4096, 1024 * 1024 * 1024 + 1024 * 1024]);
      const loadAsync = jest.spyOn(JSZip, 'loadAsync');
      const error = await extract(buildDocxBomb(), 'lying.docx').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(PreprocessingError);
      expect(error).toMatchObject({
        code: 'CORRUPT_FILE',
        retryable: false,
        message: expect.stringMatching(
          /^DOCX entry word\/document\.xml cannot be read as the 4096 bytes it declares: too many bytes in the stream/,
        ),
      });
      // Refused one zlib chunk past the lie, before jszip ever saw the archive.
      expect(loadAsync).not.toHaveBeenCalled();
    });

    it('reads what it checked: a bomb that only jszip would find (behind a decoy) is never inflated', async () => {
      // Given the original file, jszip reads the hidden document (here a small, honest one)…
      const small = buildDocxBomb({ behindDecoy: true, inflatedBytes: 4096, declaredBytes: 4096 });
      const hidden = await (await JSZip.loadAsync(small)).file('word/document.xml')?.async('string');
      expect(hidden).toMatch(/<w:t>A{1000,}<\/w:t>/);
      // …but the extractor reads the decoy that yauzl checked, bomb or not.
      expect((await extract(small)).text.trim()).toBe('Decoy');
      expect((await extract(buildDocxBomb({ behindDecoy: true }))).text.trim()).toBe('Decoy');
    });

    it('accepts highly compressible entries up to 1 MiB', async () => {
      const bytes = await zipOf({ '_rels/.rels': ROOT_RELS, 'word/document.xml': documentXml('B'.repeat(512 * 1024)) });
      expect((await extract(bytes)).text).toContain('BBBB');
    });
  });
});
