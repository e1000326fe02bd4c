import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CONTENT_TYPES, detectContentType } from './content-type';
import { decodeText, TextDecodeError } from './text';

describe('detectContentType', () => {
  const sut = detectContentType;

  it('trusts magic bytes over the extension', async () => {
    expect(await sut(Buffer.from('%PDF-1.7\n%âãÏÓ\n1 0 obj\n'), 'a.txt')).toBe(CONTENT_TYPES.pdf);
    expect(await sut(Buffer.concat([Buffer.from('GIF89a'), Buffer.alloc(64, 1)]), 'a.md')).toBe('image/gif');
  });

  it('treats a truncated binary signature as unknown binary, not as an error', async () => {
    expect(await sut(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d]), 'a.md')).toBe(
      'application/octet-stream',
    );
  });

  it('uses the extension for text formats', async () => {
    expect(await sut(Buffer.from('# Hi'), 'x/readme.MD')).toBe(CONTENT_TYPES.markdown);
    expect(await sut(Buffer.from('{"a":1}'), 'data.json')).toBe(CONTENT_TYPES.json);
    expect(await sut(Buffer.from('a,b\n1,2'), 'table.csv')).toBe(CONTENT_TYPES.csv);
  });

  it('falls back to the stored Content-Type, then to plain text', async () => {
    expect(await sut(Buffer.from('{"a":1}'), 'noext', 'application/json; charset=utf-8')).toBe(CONTENT_TYPES.json);
    expect(await sut(Buffer.from('hello'), 'noext', 'application/x-unknown')).toBe(CONTENT_TYPES.text);
  });

  it('reads a UTF BOM as text even where it looks like an audio frame', async () => {
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('한국어 text', 'utf16le')]);
    expect(await sut(utf16, 'notes.txt')).toBe(CONTENT_TYPES.text);
    expect(await sut(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('# T')]), 'a.md')).toBe(
      CONTENT_TYPES.markdown,
    );
  });

  it('sends a bare ZIP named .docx to the DOCX extractor, other ZIPs nowhere', async () => {
    const zip = Buffer.concat([Buffer.from([0x50, 0x4b, 0x03, 0x04]), Buffer.alloc(60, 0)]);
    expect(await sut(zip, 'report.docx')).toBe(CONTENT_TYPES.docx);
    expect(await sut(zip, 'archive.zip')).toBe('application/zip');
  });

  it('calls binary junk octet-stream', async () => {
    const junk = Buffer.from(Array.from({ length: 256 }, (_, i) => (i * 37) % 256));
    expect(await sut(junk, 'junk.txt')).toBe('application/octet-stream');
  });

  it('calls the junk.bin fixture octet-stream, whatever its name', async () => {
    const junk = readFileSync(join(__dirname, '..', '..', 'test', 'fixtures', 'formats', 'junk.bin'));
    expect(await sut(junk, 'junk.bin')).toBe('application/octet-stream');
    expect(await sut(junk, 'junk.txt')).toBe('application/octet-stream');
    expect(await sut(junk, 'noext', 'text/plain')).toBe('application/octet-stream');
  });

  it('reads text with stray control characters (NUL included) as text, which then decodes', async () => {
    const text = 'hello\u0000 wor\u0007ld \u001b[0m done';
    const bytes = Buffer.from(text, 'utf8');
    expect(await sut(bytes, 'notes.txt')).toBe(CONTENT_TYPES.text);
    expect(decodeText(bytes)).toEqual({ text, encoding: 'utf-8' });
    expect(await sut(Buffer.from('# Title\n\nbody\u0000\n'), 'readme.md')).toBe(CONTENT_TYPES.markdown);
    expect(await sut(Buffer.from('a,b\n1,\u00072\n'), 'table.csv')).toBe(CONTENT_TYPES.csv);
    expect(await sut(Buffer.from('{"a":"\u0000"}'), 'noext', 'application/json')).toBe(CONTENT_TYPES.json);
  });

  it('leaves text of an encoding it cannot tell to the extension, for extraction to refuse', async () => {
    const latin1 = Buffer.from('caf\xe9 cr\xe8me br\xfbl\xe9e\n'.repeat(20), 'latin1');
    expect(await sut(latin1, 'menu.txt')).toBe(CONTENT_TYPES.text);
    expect(() => decodeText(latin1)).toThrow(TextDecodeError);
  });

  it('still calls text binary when controls are a large share of it', async () => {
    const bytes = Buffer.from(`abc${'\u0000\u0001'.repeat(10)}def`, 'utf8');
    expect(await sut(bytes, 'notes.txt')).toBe('application/octet-stream');
  });
});
