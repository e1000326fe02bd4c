import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PreprocessingError } from '../errors/preprocessing.error';
import { CsvExtractor } from './csv.extractor';

const FIXTURES = join(__dirname, '..', '..', '..', 'test', 'fixtures', 'formats');
const fixture = (name: string) => readFileSync(join(FIXTURES, name));

describe('CsvExtractor', () => {
  const sut = new CsvExtractor();
  const extract = (bytes: Buffer, fileName = 'table.csv', maxTextChars = 100_000_000) =>
    sut.extract({ bytes, fileName, signal: new AbortController().signal, maxTextChars });

  it('handles text/csv', () => {
    expect(sut.contentType).toBe('text/csv');
  });

  it('gives one line per row, header included, cells joined by " | "', async () => {
    const result = await extract(fixture('sample.csv'), 'sample.csv');
    expect(result.text).toBe(
      [
        'name | city | note',
        'Alice | Seoul | likes tea, not coffee',
        'Bob | Busan | plain note',
        'Carol | Incheon | said "hello" twice',
      ].join('\n'),
    );
  });

  it('has no title of its own', async () => {
    expect((await extract(fixture('sample.csv'), 'sample.csv')).title).toBeUndefined();
  });

  it('accepts rows of different lengths and skips empty lines', async () => {
    const { text } = await extract(Buffer.from('a,b,c\n1,2\n\n3,4,5,6\n'));
    expect(text).toBe('a | b | c\n1 | 2\n3 | 4 | 5 | 6');
  });

  it('keeps a record with a quoted line break on one line', async () => {
    const { text } = await extract(Buffer.from('name,address\r\nAlice,"1 Main St\r\nSpringfield"\r\n'));
    expect(text).toBe('name | address\nAlice | 1 Main St Springfield');
  });

  it('tolerates spaces around cells and before an opening quote', async () => {
    const { text } = await extract(Buffer.from('a , b\n x, "y, z"\n'));
    expect(text).toBe('a | b\nx | y, z');
  });

  it('decodes a UTF-8 BOM away', async () => {
    const bytes = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('이름,도시\n철수,서울\n')]);
    expect((await extract(bytes)).text).toBe('이름 | 도시\n철수 | 서울');
  });

  it.each([
    ['an unclosed quote', 'a,b\n"unclosed,c\n'],
    ['a quote inside an unquoted cell', 'a,b\nx"y,z\n'],
    ['text after a closing quote', 'a,b\n"x"y,z\n'],
  ])('refuses malformed CSV (%s) as CORRUPT_FILE', async (_case, csv) => {
    const error = await extract(Buffer.from(csv)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PreprocessingError);
    expect(error).toMatchObject({
      code: 'CORRUPT_FILE',
      retryable: false,
      message: expect.stringMatching(/^invalid CSV \([A-Z_]+\) near line \d+$/),
    });
  });

  it('refuses bytes of no known encoding as ENCODING_UNKNOWN', async () => {
    await expect(extract(Buffer.from('caf\xe9,cr\xe8me\n', 'latin1'))).rejects.toMatchObject({
      name: 'PreprocessingError',
      code: 'ENCODING_UNKNOWN',
      retryable: false,
    });
  });

  it('keeps stray control characters for normalisation to remove', async () => {
    expect((await extract(Buffer.from('a,b\u0000\n1,2\u0007\n'))).text).toBe('a | b\u0000\n1 | 2\u0007');
  });

  describe('on 1 MB pathological cells', () => {
    const MB = 1 << 20;
    const spaces = ' '.repeat(MB);

    it('keeps 1 MB of spaces inside one quoted cell', async () => {
      const { text } = await extract(Buffer.from(`x,"${spaces}",y\n`));
      // Compared as a boolean: a failure message would print a megabyte.
      expect(text.length).toBe(MB + 8);
      expect(text === `x | ${spaces} | y`).toBe(true);
    });

    it('turns a 1 MB whitespace run holding a line break into one space', async () => {
      const { text } = await extract(Buffer.from(`x,"a${spaces}\r\n${spaces}b",y\n`));
      expect(text).toBe('x | a b | y');
    });

    it('keeps a 1 MB space run beside a line break elsewhere in the cell', async () => {
      const { text } = await extract(Buffer.from(`"a${spaces}b\nc"\n`));
      expect(text.length).toBe(MB + 4);
      expect(text === `a${spaces}b c`).toBe(true);
    });
  });

  describe('text budget', () => {
    it('refuses as TOO_LARGE a CSV of empty cells whose separators triple its size', async () => {
      // 4,000 bytes of commas become 12,000 characters of " | ".
      const csv = Buffer.from(`x${','.repeat(4_000)}\n`);
      await expect(extract(csv, 'wide.csv', 10_000)).rejects.toMatchObject({
        name: 'PreprocessingError',
        code: 'TOO_LARGE',
        retryable: false,
      });
    });

    it('refuses a long CSV over a small budget and accepts it under a large one', async () => {
      const rows = Buffer.from(Array.from({ length: 5_000 }, (_, i) => `row${i},value`).join('\n'));
      const error = await extract(rows, 'long.csv', 10_000).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(PreprocessingError);
      expect(error).toMatchObject({ code: 'TOO_LARGE' });
      const { text } = await extract(rows, 'long.csv');
      expect(text.split('\n')).toHaveLength(5_000);
      expect(text.endsWith('row4999 | value')).toBe(true);
    });

    it('accepts text of exactly the budget', async () => {
      const { text } = await extract(Buffer.from('ab,cd\nef\n'), 'exact.csv', 10);
      expect(text).toBe('ab | cd\nef');
      await expect(extract(Buffer.from('ab,cd\nef\n'), 'exact.csv', 9)).rejects.toMatchObject({ code: 'TOO_LARGE' });
    });
  });
});
