import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as iconv from 'iconv-lite';
import { PreprocessingError } from '../errors/preprocessing.error';
import { HtmlExtractor } from './html.extractor';

const FIXTURES = join(__dirname, '..', '..', '..', 'test', 'fixtures', 'formats');
const fixture = (name: string) => readFileSync(join(FIXTURES, name));

describe('HtmlExtractor', () => {
  const sut = new HtmlExtractor();
  const extract = (bytes: Buffer, fileName = 'page.html') =>
    sut.extract({ bytes, fileName, signal: new AbortController().signal });

  it('handles text/html', () => {
    expect(sut.contentType).toBe('text/html');
  });

  describe('sample.html', () => {
    it('extracts the readable text with entities decoded', async () => {
      const { text } = await extract(fixture('sample.html'), 'sample.html');
      expect(text).toContain('Main Heading');
      expect(text).toContain('The HTML fixture paragraph mentions café & crème.');
      expect(text).toContain('First list item');
      expect(text).toContain('Second list item');
      expect(text).toContain('Read the full article for details.');
    });

    it('drops scripts, styles, markup and link targets', async () => {
      const { text } = await extract(fixture('sample.html'), 'sample.html');
      expect(text).not.toContain('SCRIPT_CONTENT_MUST_NOT_APPEAR');
      expect(text).not.toContain('STYLE_CONTENT_MUST_NOT_APPEAR');
      expect(text).not.toContain('document.title');
      expect(text).not.toContain('font-family');
      expect(text).not.toContain('<');
      expect(text).not.toContain('https://example.com/more');
    });

    it('takes the title from <title>, not from the text', async () => {
      const { title, text } = await extract(fixture('sample.html'), 'sample.html');
      expect(title).toBe('HTML Title');
      expect(text).not.toContain('HTML Title');
    });
  });

  it('falls back to the first <h1> for the title', async () => {
    const html = '<html><body><p>intro</p><h1>  First\n  Heading </h1><h1>Second</h1></body></html>';
    expect((await extract(Buffer.from(html))).title).toBe('First Heading');
  });

  it('has no title when there is neither <title> nor <h1>', async () => {
    expect((await extract(Buffer.from('<p>Just a paragraph.</p>'))).title).toBeUndefined();
  });

  it('drops scripts and styles of a fragment without <head> or <body>', async () => {
    const html = '<script>alert("SECRET")</script><style>.x{}</style><p>Visible</p>';
    const { text } = await extract(Buffer.from(html));
    expect(text).toBe('Visible');
  });

  it('keeps headings as written and puts table rows on lines of their own', async () => {
    const html = '<h2>Prices</h2><table><tr><th>Item</th><th>Cost</th></tr><tr><td>Tea</td><td>3</td></tr></table>';
    const lines = (await extract(Buffer.from(html))).text.split('\n').map((l) => l.trim());
    expect(lines).toContain('Prices');
    expect(lines.find((l) => l.startsWith('Item'))).toMatch(/^Item\s+Cost$/);
    expect(lines.find((l) => l.startsWith('Tea'))).toMatch(/^Tea\s+3$/);
  });

  it('decodes a legacy page by its <meta charset>', async () => {
    const html = '<html><head><meta charset="windows-1252"><title>Caf\xe9</title></head><body><p>cr\xe8me br\xfbl\xe9e</p></body></html>';
    const { text, title } = await extract(Buffer.from(html, 'latin1'));
    expect(text).toBe('crème brûlée');
    expect(title).toBe('Café');
  });

  it('decodes a legacy page by its <meta http-equiv="Content-Type">', async () => {
    const html =
      '<html><head><meta http-equiv="Content-Type" content="text/html; charset=iso-8859-1"></head><body><p>na\xefve</p></body></html>';
    expect((await extract(Buffer.from(html, 'latin1'))).text).toBe('naïve');
  });

  it('decodes an undeclared CP949 page', async () => {
    const bytes = iconv.encode('<html><body><p>안녕하세요, 세계.</p></body></html>', 'cp949');
    expect((await extract(bytes)).text).toBe('안녕하세요, 세계.');
  });

  it('refuses bytes that are no text as CORRUPT_FILE', async () => {
    await expect(extract(fixture('junk.bin'), 'junk.html')).rejects.toMatchObject({
      name: 'PreprocessingError',
      code: 'CORRUPT_FILE',
    });
    await expect(extract(fixture('junk.bin'), 'junk.html')).rejects.toBeInstanceOf(PreprocessingError);
  });
});
