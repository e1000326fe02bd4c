import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PreprocessingError } from '../errors/preprocessing.error';
import { CsvExtractor } from './csv.extractor';

const FIXTURES = join(__dirname, '..', '..', '..', 'test', 'fixtures', 'formats');
const fixture = (name: string) => readFileSync(join(FIXTURES, name));

describe('CsvExtractor', () => {
  const sut = new CsvExtractor();
  const extract = (bytes: Buffer, fileName = 'table.csv') =>
    sut.extract({ bytes, fileName, signal: new AbortController().signal });

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
    expect(error).toMatchObject({ code: 'CORRUPT_FILE', retryable: false, message: expect.stringMatching(/^invalid CSV: /) });
  });
});
