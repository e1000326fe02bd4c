import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as iconv from 'iconv-lite';
import { PreprocessingError } from '../errors/preprocessing.error';
import { normalizeText } from '../text';
import { PlainTextExtractor } from './plain-text.extractor';

const FIXTURES = join(__dirname, '..', '..', '..', 'test', 'fixtures', 'formats');
const fixture = (name: string) => readFileSync(join(FIXTURES, name));

describe('PlainTextExtractor', () => {
  const sut = new PlainTextExtractor();
  const extract = (bytes: Buffer, maxTextChars = 100_000_000) =>
    sut.extract({ bytes, fileName: 'notes.txt', signal: new AbortController().signal, maxTextChars });

  it('handles text/plain', () => {
    expect(sut.contentType).toBe('text/plain');
  });

  it('decodes UTF-8, UTF-16 with BOM and CP949, without a title', async () => {
    expect(await extract(fixture('sample.txt'))).toEqual({
      text:
        'The quick brown fox jumps over the lazy dog.\n' +
        'This plain text fixture is used by the preprocessing tests.\n',
      encoding: 'utf-8',
    });
    expect(await extract(fixture('utf16le-bom.txt'))).toMatchObject({
      text: expect.stringMatching(/^Hello, 세계!/),
      encoding: 'utf-16le',
    });
    expect(await extract(fixture('korean-cp949.txt'))).toMatchObject({
      text: expect.stringMatching(/^안녕하세요\./),
      encoding: 'cp949',
    });
    expect(await extract(fixture('korean-euc-kr.txt'))).toMatchObject({
      text: expect.stringMatching(/^안녕하세요\./),
      encoding: 'euc-kr',
    });
    expect(await extract(fixture('korean-utf16be.txt'))).toMatchObject({
      text: expect.stringMatching(/^안녕하세요\./),
      encoding: 'utf-16be',
    });
  });

  it('keeps stray control characters, which normalisation then removes', async () => {
    const { text } = await extract(Buffer.from('hello\u0000 wor\u0007ld \u001b[0m done', 'utf8'));
    expect(text).toBe('hello\u0000 wor\u0007ld \u001b[0m done');
    expect(normalizeText(text)).toBe('hello world [0m done');
  });

  it.each([
    ['Latin-1 text', Buffer.from('caf\xe9 cr\xe8me br\xfbl\xe9e', 'latin1')],
    ['Shift_JIS text', iconv.encode('今日は良い天気です。', 'shift_jis')],
    ['UTF-16 with a BOM and an unpaired surrogate', Buffer.from([0xff, 0xfe, 0x41, 0x00, 0x00, 0xd8])],
    ['junk.bin', fixture('junk.bin')],
    ['byte-soup.txt', fixture('byte-soup.txt')],
    ['shift-jis.txt', fixture('shift-jis.txt')],
    ['gb18030.txt', fixture('gb18030.txt')],
    ['latin1.txt', fixture('latin1.txt')],
  ])('refuses %s as ENCODING_UNKNOWN rather than yielding U+FFFD', async (_case, bytes) => {
    const error = await extract(bytes).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PreprocessingError);
    expect(error).toMatchObject({ code: 'ENCODING_UNKNOWN', retryable: false });
  });

  it('returns 1 MB pathological texts as they are', async () => {
    const MB = 1 << 20;
    for (const text of [' '.repeat(MB), '# '.repeat(MB / 2), '😀'.repeat(MB / 4), '\u0000'.repeat(MB)]) {
      // Compared as a boolean: a failure message would print a megabyte.
      expect((await extract(Buffer.from(text))).text === text).toBe(true);
    }
  });

  describe('text budget', () => {
    it('refuses text over the budget as TOO_LARGE and accepts text of exactly the budget', async () => {
      await expect(extract(Buffer.from('x'.repeat(10_001)), 10_000)).rejects.toMatchObject({ code: 'TOO_LARGE' });
      expect((await extract(Buffer.from('x'.repeat(10_000)), 10_000)).text).toHaveLength(10_000);
    });

    it('counts UTF-16 units, not bytes', async () => {
      // 3 bytes a syllable in UTF-8, one unit in the text.
      expect((await extract(Buffer.from('한'.repeat(10_000)), 10_000)).text).toHaveLength(10_000);
    });
  });
});
