import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as iconv from 'iconv-lite';
import { PreprocessingError } from '../errors/preprocessing.error';
import { HtmlExtractor } from './html.extractor';

const FIXTURES = join(__dirname, '..', '..', '..', 'test', 'fixtures', 'formats');
const fixture = (name: string) => readFileSync(join(FIXTURES, name));

describe('HtmlExtractor', () => {
  const sut = new HtmlExtractor();
  const extract = (bytes: Buffer, fileName = 'page.html', maxTextChars = 100_000_000) =>
    sut.extract({ bytes, fileName, signal: new AbortController().signal, maxTextChars });
  const textOf = async (html: string, maxTextChars?: number) =>
    (await extract(Buffer.from(html), 'page.html', maxTextChars)).text;

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
    expect(await textOf(html)).toBe('Prices\n\nItem | Cost\nTea | 3');
  });

  it('decodes a legacy page by its <meta charset> and reports that charset', async () => {
    const html =
      '<html><head><meta charset="windows-1252"><title>Caf\xe9</title></head><body><p>cr\xe8me br\xfbl\xe9e</p></body></html>';
    const { text, title, encoding } = await extract(Buffer.from(html, 'latin1'));
    expect(text).toBe('crème brûlée');
    expect(title).toBe('Café');
    expect(encoding).toBe('windows-1252');
  });

  it('reads a page declaring Shift_JIS in that charset, and tells EUC-KR from CP949 by the bytes', async () => {
    const sjis = iconv.encode('<meta charset="Shift_JIS"><p>こんにちは</p>', 'shift_jis');
    expect(await extract(sjis)).toMatchObject({ text: 'こんにちは', encoding: 'shift_jis' });
    const eucKr = iconv.encode('<meta charset="euc-kr"><p>똠방각하 안녕하세요</p>', 'cp949');
    expect(await extract(eucKr)).toMatchObject({ text: '똠방각하 안녕하세요', encoding: 'cp949' });
    expect(await extract(Buffer.from('<p>x</p>'))).toMatchObject({ encoding: 'utf-8' });
  });

  describe('sections', () => {
    const sectionsOf = async (html: string) =>
      (await extract(Buffer.from(html))).segments?.map((s) => [s.text, s.headingPath]);

    it('splits at h1-h6, each section carrying the headings above it, outermost first', async () => {
      const html =
        '<p>intro</p><h1>A</h1><p>a</p><div><h3>A <em>one</em></h3><p>x</p></div><h2>A.2</h2>' +
        '<table><tr><td>c1</td><td>c2</td></tr></table><h1>B</h1><ul><li>i</li></ul>';
      expect(await sectionsOf(html)).toEqual([
        ['intro', []],
        ['A\n\na', ['A']],
        ['A one\n\nx', ['A', 'A one']],
        ['A.2\n\nc1 | c2', ['A', 'A.2']],
        ['B\n\n- i', ['B']],
      ]);
    });

    it('starts no section at a heading in a table, a list or a heading, or without text', async () => {
      const html =
        '<h1>Top</h1><table><tr><td><h2>cell</h2></td><td>d</td></tr></table><ul><li><h3>item</h3></li></ul>' +
        '<h2><img alt="x"></h2><p>end</p>';
      const sections = await sectionsOf(html);
      expect(sections?.map(([, path]) => path)).toEqual([['Top']]);
      expect(String(sections?.[0][0]).replace(/\n+/g, '\n')).toBe('Top\ncell | d\n- \nitem\nend');
    });

    it('leaves no marker and keeps NULs of the page for normalisation', async () => {
      const { text, segments } = await extract(Buffer.from('<h1>T\u0000</h1><p>a\u0000b</p>'));
      expect(text).toBe('T\u0000\n\na\u0000b');
      expect(segments).toEqual([{ text: 'T\u0000\n\na\u0000b', headingPath: ['T\u0000'] }]);
    });

    it('cuts a 1 MB heading to 200 characters in the path, not in the text', async () => {
      const { text, segments } = await extract(Buffer.from(`<h2>${'h'.repeat(1 << 20)}</h2>`));
      expect(text.length).toBe(1 << 20);
      expect(segments?.[0].headingPath).toEqual([`${'h'.repeat(200)}…`]);
    });

    it('splits 100,000 headings in linear time', async () => {
      const { segments } = await extract(Buffer.from('<h2>a</h2><p>b</p>'.repeat(100_000)));
      expect(segments).toHaveLength(100_000);
    });
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

  it('refuses bytes that are no text as ENCODING_UNKNOWN', async () => {
    await expect(extract(fixture('junk.bin'), 'junk.html')).rejects.toMatchObject({
      name: 'PreprocessingError',
      code: 'ENCODING_UNKNOWN',
      retryable: false,
    });
    await expect(extract(fixture('junk.bin'), 'junk.html')).rejects.toBeInstanceOf(PreprocessingError);
  });

  it('does not trust a declared charset that leaves bytes unmapped (U+FFFD)', async () => {
    // 0x81 means nothing in windows-1252, and the bytes are neither UTF-8 nor Korean.
    const html = Buffer.from('<meta charset="windows-1252"><p>caf\xe9 \x81</p>', 'latin1');
    await expect(extract(html)).rejects.toMatchObject({ code: 'ENCODING_UNKNOWN' });
  });

  it('takes the title from the first <title>, entities decoded, else from the whole first <h1>', async () => {
    const withTitle = '<html><head><title> Fish &amp;\n Chips </title></head><body><h1>Menu</h1></body></html>';
    expect((await extract(Buffer.from(withTitle))).title).toBe('Fish & Chips');
    const withHeading = '<title>  </title><h1>The <em>real</em> <script>x</script>title</h1>';
    expect((await extract(Buffer.from(withHeading))).title).toBe('The real xtitle');
  });

  describe('tables', () => {
    it('keeps cells in reading order, one row a line, without padding', async () => {
      const html =
        '<table><caption>Stock</caption><thead><tr><th>Item</th><th>Note</th></tr></thead>' +
        '<tbody><tr><td>Tea</td><td>a much longer note than any other cell</td></tr>' +
        '<tr><td></td><td></td></tr><tr><td>Cake</td><td></td><td>extra</td></tr></tbody></table>';
      expect(await textOf(html)).toBe(
        'Stock\nItem | Note\nTea | a much longer note than any other cell\nCake |  | extra',
      );
    });

    it('keeps a cell with line breaks or a nested table on its row', async () => {
      const inner = '<table><tr><td>x</td><td>y</td></tr><tr><td>z</td></tr></table>';
      const html = `<table><tr><td>a<br>b</td><td>${inner}</td></tr></table>`;
      expect(await textOf(html)).toBe('a b | x | y z');
    });

    it('refuses as TOO_LARGE a table the dataTable format would have padded to rows × widest cell', async () => {
      // About 50 KB; padded, every row would be 10,000 characters wide: some 30 million in all.
      const wide = `<tr><td>${'w'.repeat(10_000)}</td><td>b</td></tr>`;
      const html = `<table>${wide}${'<tr><td>a</td><td>b</td></tr>'.repeat(3_000)}</table>`;
      await expect(textOf(html, 10_000)).rejects.toMatchObject({ code: 'TOO_LARGE', retryable: false });
      const text = await textOf(html, 5_000_000);
      expect(text).toHaveLength(10_004 + 3_000 * 6);
      expect(text.endsWith('\na | b\na | b')).toBe(true);
    });

    it('counts many small tables together against the budget', async () => {
      const html = '<table><tr><td>abcdefgh</td></tr></table>'.repeat(2_000);
      await expect(textOf(html, 10_000)).rejects.toMatchObject({ code: 'TOO_LARGE' });
      expect(await textOf(html, 20_000)).toBe(Array.from({ length: 2_000 }, () => 'abcdefgh').join('\n\n'));
    });
  });

  describe('lists, quotes and rules', () => {
    it('puts list items on lines of their own, nested lists unindented', async () => {
      const html = '<ul><li>one</li><li>two<ol start="9"><li>nine</li><li>ten</li></ol></li></ul><p>after</p>';
      expect(await textOf(html)).toBe('- one\n- two\n9. nine\n10. ten\n\nafter');
    });

    it('numbers in decimal whatever the type, so a roman start cannot blow up', async () => {
      const html = '<ol type="I" start="1000000000"><li>x</li><li>y</li></ol>';
      expect(await textOf(html)).toBe('1000000000. x\n1000000001. y');
    });

    it('does not prefix or indent deeply nested lists and quotes', async () => {
      // html-to-text's own formats indent each level: some 3 × 250² characters here.
      const lists = await textOf('<ul><li>a'.repeat(250));
      expect(lists).toBe(Array.from({ length: 250 }, () => '- a').join('\n'));
      const quotes = await textOf('<blockquote>q'.repeat(250));
      expect(quotes).toBe(Array.from({ length: 250 }, () => 'q').join('\n\n'));
    });

    it('does not draw a rule for <hr>', async () => {
      expect((await textOf('x<hr>y')).split(/\n+/)).toEqual(['x', 'y']);
    });
  });

  describe('deep nesting', () => {
    it('extracts 512 nested elements and refuses 513', async () => {
      expect(await textOf(`${'<div>'.repeat(256)}${'<span>'.repeat(256)}deep`)).toBe('deep');
      await expect(textOf(`${'<div>'.repeat(256)}${'<span>'.repeat(257)}deep`)).rejects.toMatchObject({
        code: 'CORRUPT_FILE',
      });
    });

    it.each([
      ['<div>s', '<div>'],
      ['<table><tr><td>s', '<table><tr><td>'],
      ['<ul><li>s', '<ul><li>'],
      ['<span>s', '<span>'],
    ])('refuses 100,000 nested %s as CORRUPT_FILE, not a stack overflow', async (_case, open) => {
      const error = await extract(Buffer.from(`${open.repeat(100_000)}x`)).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(PreprocessingError);
      expect(error).toMatchObject({ code: 'CORRUPT_FILE', message: 'HTML nested deeper than 512 elements' });
    });
  });

  describe('on 1 MB pathological inputs', () => {
    const MB = 1 << 20;

    it('collapses 1 MB of whitespace between words', async () => {
      expect(await textOf(`<p>a${' \n\t'.repeat(MB / 3)}b</p>`)).toBe('a b');
    });

    it('decodes 1 MB of entities', async () => {
      const text = await textOf(`<p>${'&amp;'.repeat(MB / 5)}</p>`);
      expect(text === '&'.repeat(MB / 5)).toBe(true);
    });

    it('reads 1 MB of "<" and of "# " as text', async () => {
      expect((await textOf('<'.repeat(MB))).length).toBe(MB);
      expect(await textOf(`<h1>${'# '.repeat(MB / 2)}</h1>`)).toHaveLength(MB - 1);
    });

    it('reads a 1 MB title', async () => {
      const { title } = await extract(Buffer.from(`<title>${'t '.repeat(MB / 2)}</title>`));
      expect(title).toHaveLength(MB - 1);
    });

    it('refuses 1 MB of text over a small budget', async () => {
      await expect(textOf(`<p>${'word '.repeat(MB / 5)}</p>`, 10_000)).rejects.toMatchObject({ code: 'TOO_LARGE' });
    });
  });
});
