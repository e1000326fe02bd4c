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

  it('keeps the text of sample.md as written, in sections, and takes its first heading as title', async () => {
    const bytes = fixture('sample.md');
    expect(await extract(bytes)).toEqual({
      text: bytes.toString('utf8').trimEnd(),
      segments: [
        {
          text: '# Markdown Title\n\nThis Markdown fixture has a **bold** word and a [link](https://example.com/docs).',
          headingPath: ['Markdown Title'],
        },
        { text: '## Section Two\n\n- first item\n- second item', headingPath: ['Markdown Title', 'Section Two'] },
      ],
      title: 'Markdown Title',
      encoding: 'utf-8',
    });
  });

  describe('sections', () => {
    const pathsOf = async (markdown: string) =>
      (await extract(Buffer.from(markdown))).segments?.map((s) => [s.text.split('\n')[0], s.headingPath]);

    it('gives each section the headings above it, outermost first, text before any heading none', async () => {
      const markdown = 'intro\n# A\na\n### A.1.1\nx\n## A.2\ny\n# B ##\nz\n#### B.0.0.1\n';
      expect(await pathsOf(markdown)).toEqual([
        ['intro', []],
        ['# A', ['A']],
        ['### A.1.1', ['A', 'A.1.1']],
        ['## A.2', ['A', 'A.2']],
        ['# B ##', ['B']],
        ['#### B.0.0.1', ['B', 'B.0.0.1']],
      ]);
    });

    it('reads setext headings, multi-line ones included, but not a rule after a blank line', async () => {
      const markdown = 'Top\n===\nbody\n\nTwo\nlines\n---\nmore\n\n---\nafter rule\n- item\n---\n';
      expect(await pathsOf(markdown)).toEqual([
        ['Top', ['Top']],
        ['Two', ['Top', 'Two lines']],
      ]);
    });

    it('finds no heading inside fenced code, backticks or tildes, until the fence closes', async () => {
      const markdown = '# Real\n```py\n# comment\n```\n~~~~\n## also code\n~~~\n~~~~\n## After\n';
      expect(await pathsOf(markdown)).toEqual([
        ['# Real', ['Real']],
        ['## After', ['Real', 'After']],
      ]);
    });

    it('ignores empty headings and cuts long ones in the path, not in the text', async () => {
      const long = 'h'.repeat(500);
      const { segments, text } = await extract(Buffer.from(`#\n# ${long}\nbody\n`));
      expect(segments?.map((s) => s.headingPath)).toEqual([[], [`${'h'.repeat(200)}…`]]);
      expect(text).toBe(`#\n\n# ${long}\nbody`);
    });

    it('keeps CRLF line ends inside sections', async () => {
      expect(await pathsOf('# A\r\ntext\r\n\r\nB\r\n==\r\nmore')).toEqual([
        ['# A\r', ['A']],
        ['B\r', ['B']],
      ]);
      expect(await pathsOf('para\r\ngraph\r\n--\r\n')).toEqual([['para\r', ['para graph']]]);
    });
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
      expect(text === markdown.trimEnd()).toBe(true);
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

    it('splits 1 MB of one-word headings into as many sections', async () => {
      const { segments } = await extract(Buffer.from('# a\n'.repeat(pairs / 2)));
      expect(segments).toHaveLength(pairs / 2);
      expect(segments?.every((s) => s.headingPath?.length === 1 && s.headingPath[0] === 'a')).toBe(true);
    });

    it('reads 1 MB of paragraph lines and of backticks', async () => {
      expect((await extract(Buffer.from('x\n'.repeat(pairs)))).segments).toHaveLength(1);
      expect((await extract(Buffer.from(`${'`'.repeat(1 << 19)}\n${'a`'.repeat(1 << 18)}`))).segments).toHaveLength(1);
      expect((await extract(Buffer.from(`x\n${'-'.repeat(1 << 20)}`))).segments?.[0].headingPath).toEqual(['x']);
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
