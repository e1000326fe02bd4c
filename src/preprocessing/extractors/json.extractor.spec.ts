import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PreprocessingError } from '../errors/preprocessing.error';
import { JsonExtractor } from './json.extractor';

const FIXTURES = join(__dirname, '..', '..', '..', 'test', 'fixtures', 'formats');
const fixture = (name: string) => readFileSync(join(FIXTURES, name));

describe('JsonExtractor', () => {
  const sut = new JsonExtractor();
  const extract = (bytes: Buffer, maxTextChars = 100_000_000) =>
    sut.extract({ bytes, fileName: 'data.json', signal: new AbortController().signal, maxTextChars });
  const json = (value: unknown) => Buffer.from(JSON.stringify(value));

  it('handles application/json', () => {
    expect(sut.contentType).toBe('application/json');
  });

  it('gives one "path: value" line per scalar of sample.json and its title', async () => {
    expect(await extract(fixture('sample.json'))).toEqual({
      text: [
        'title: JSON Title',
        'description: A JSON fixture for the preprocessing tests.',
        'tags[0]: alpha',
        'tags[1]: beta',
        'nested.count: 3',
        'nested.active: true',
      ].join('\n'),
      title: 'JSON Title',
      encoding: 'utf-8',
    });
  });

  it('flattens top-level arrays and scalars and skips nulls', async () => {
    expect((await extract(json([{ a: null, b: [1, null, { c: false }] }, 'x']))).text).toBe(
      '[0].b[0]: 1\n[0].b[2].c: false\n[1]: x',
    );
    expect((await extract(json('just text'))).text).toBe('just text');
    expect((await extract(json(null))).text).toBe('');
  });

  it('refuses invalid JSON as CORRUPT_FILE without quoting the file', async () => {
    await expect(extract(Buffer.from('{"secret-words": 1,'))).rejects.toMatchObject({
      code: 'CORRUPT_FILE',
      message: 'invalid JSON',
    });
  });

  it('refuses bytes of no known encoding as ENCODING_UNKNOWN', async () => {
    await expect(extract(Buffer.from('{"caf\xe9": "cr\xe8me"}', 'latin1'))).rejects.toMatchObject({
      name: 'PreprocessingError',
      code: 'ENCODING_UNKNOWN',
    });
  });

  describe('deep nesting', () => {
    it('walks 64 levels', async () => {
      const doc = '['.repeat(64) + '1' + ']'.repeat(64);
      expect((await extract(Buffer.from(doc))).text).toBe(`${'[0]'.repeat(64)}: 1`);
    });

    it.each([
      ['arrays', '['.repeat(100_000) + ']'.repeat(100_000)],
      ['objects', '{"a":'.repeat(100_000) + '1' + '}'.repeat(100_000)],
    ])('refuses 100,000 nested %s as CORRUPT_FILE, not a stack overflow', async (_case, doc) => {
      const error = await extract(Buffer.from(doc)).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(PreprocessingError);
      expect(error).toMatchObject({ code: 'CORRUPT_FILE', message: 'JSON nested deeper than 64 levels' });
    });
  });

  describe('text budget', () => {
    // Long keys nested deep over one big array: every element repeats the whole path. This file is
    // about 26 KB and would flatten to some 60 million characters.
    const amplifier = () => {
      let doc: unknown = Array.from({ length: 10_000 }, (_, i) => i % 10);
      for (let level = 0; level < 60; level++) doc = { [`k${level}_${'x'.repeat(96)}`]: doc };
      return json(doc);
    };

    it('refuses the nested-keys amplifier as TOO_LARGE', async () => {
      const bytes = amplifier();
      expect(bytes.length).toBeLessThan(30_000);
      await expect(extract(bytes, 10_000)).rejects.toMatchObject({ code: 'TOO_LARGE', retryable: false });
      // Under the default MAX_TEXT_CHARS as well: it stops after about 5 MB, long before 60.
      await expect(extract(bytes, 5_000_000)).rejects.toMatchObject({ code: 'TOO_LARGE' });
    });

    it('accepts text of exactly the budget, separators included', async () => {
      const bytes = json({ ab: 'cd', e: [1, 2] });
      const text = 'ab: cd\ne[0]: 1\ne[1]: 2';
      expect((await extract(bytes, text.length)).text).toBe(text);
      await expect(extract(bytes, text.length - 1)).rejects.toMatchObject({ code: 'TOO_LARGE' });
    });

    it('extracts a large document under a large budget', async () => {
      const rows = Array.from({ length: 20_000 }, (_, i) => ({ id: i, name: `item ${i}` }));
      const { text } = await extract(json({ rows }), 5_000_000);
      const lines = text.split('\n');
      expect(lines).toHaveLength(40_000);
      expect(lines.slice(-2)).toEqual(['rows[19999].id: 19999', 'rows[19999].name: item 19999']);
    });
  });
});
