import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MarkdownExtractor } from './markdown.extractor';

const FIXTURES = join(__dirname, '..', '..', '..', 'test', 'fixtures', 'formats');
const fixture = (name: string) => readFileSync(join(FIXTURES, name));

describe('MarkdownExtractor', () => {
  const sut = new MarkdownExtractor();
  const extract = (bytes: Buffer, maxTextChars = 100_000_000) =>
    sut.extract({ bytes, fileName: 'doc.md', signal: new AbortController().signal, maxTextChars });
  const titleOf = async (markdown: string) => (await extract(Buffer.from(markdown))).title;

  it('handles text/markdown', () => {
    expect(sut.contentType).toBe('text/markdown');
  });

  it('keeps the text of sample.md as written and takes its first heading as title', async () => {
    const bytes = fixture('sample.md');
    expect(await extract(bytes)).toEqual({ text: bytes.toString('utf8'), title: 'Markdown Title' });
  });

  it.each([
    ['a level-2 heading', 'intro\n\n## Second level\n', 'Second level'],
    ['up to three spaces of indentation', '   # Indented', 'Indented'],
    ['a tab after the #', '#\tTabbed', 'Tabbed'],
    ['a closing sequence', '# Closed ##  ', 'Closed'],
    ['a # that is part of the text', '# C#', 'C#'],
    ['an escaped-looking closing run', '## a # b #', 'a # b'],
    ['the first of several headings', '# One\n# Two', 'One'],
    ['CRLF line ends', 'x\r\n# Windows\r\nmore', 'Windows'],
    ['a heading made of #s', '# # # #', '# #'],
  ])('takes the title from %s', async (_case, markdown, title) => {
    expect(await titleOf(markdown)).toBe(title);
  });

  it.each([
    ['no heading', 'just text\nand more'],
    ['a level-3 heading only', '### Third'],
    ['four spaces of indentation (code)', '    # code'],
    ['no space after the #s', '#hashtag'],
    ['an empty heading', '# \n#\n# ###'],
  ])('has no title with %s', async (_case, markdown) => {
    expect(await titleOf(markdown)).toBeUndefined();
  });

  it('skips an empty heading for a later one', async () => {
    expect(await titleOf('#   \n\n# Real')).toBe('Real');
  });

  it('refuses bytes of no known encoding as ENCODING_UNKNOWN', async () => {
    await expect(extract(Buffer.from('# Caf\xe9\n', 'latin1'))).rejects.toMatchObject({
      name: 'PreprocessingError',
      code: 'ENCODING_UNKNOWN',
    });
  });

  describe('on 1 MB pathological lines', () => {
    const pairs = (1 << 20) / 2;

    // Compared as booleans: a failure message would print a megabyte.
    it('reads "# " repeated to 1 MB as a heading of #s', async () => {
      const markdown = '# '.repeat(pairs);
      const { text, title } = await extract(Buffer.from(markdown));
      expect(text === markdown).toBe(true);
      // The first "# " opens the heading and the last "#" closes it.
      expect(title?.length).toBe(2 * pairs - 5);
      expect(title === `${'# '.repeat(pairs - 3)}#`).toBe(true);
    });

    it('reads "# " repeated to 1 MB and ending in a word', async () => {
      const title = await titleOf(`${'# '.repeat(pairs)}x\nnext`);
      expect(title?.length).toBe(2 * pairs - 1);
      expect(title === `${'# '.repeat(pairs - 1)}x`).toBe(true);
    });

    it('reads 1 MB of #s without a space as no heading', async () => {
      expect(await titleOf('#'.repeat(1 << 20))).toBeUndefined();
    });

    it('reads 1 MB of one-character lines', async () => {
      expect(await titleOf(`${'#\n'.repeat(pairs)}# End`)).toBe('End');
    });
  });

  describe('text budget', () => {
    it('refuses text over the budget as TOO_LARGE and accepts text of exactly the budget', async () => {
      const markdown = Buffer.from(`# Title\n${'word '.repeat(2_000)}`);
      await expect(extract(markdown, 10_000)).rejects.toMatchObject({ code: 'TOO_LARGE', retryable: false });
      expect((await extract(markdown, markdown.length)).title).toBe('Title');
    });
  });
});
