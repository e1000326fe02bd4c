import * as iconv from 'iconv-lite';
import { decodeText, looksBinary, TextDecodeError } from './decode';

/** Deterministic pseudo-random bytes so failures are reproducible. */
function pseudoRandomBytes(length: number, seed = 42): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed;
  for (let i = 0; i < length; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

describe('decodeText', () => {
  const sut = decodeText;
  const sample = 'Hello, 세계! Ünïcödé 😀';

  it('decodes UTF-8 without BOM', () => {
    expect(sut(Buffer.from(sample, 'utf8'))).toEqual({ text: sample, encoding: 'utf-8' });
  });

  it('decodes UTF-8 with BOM and drops the BOM', () => {
    const bytes = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(sample, 'utf8')]);
    expect(sut(bytes)).toEqual({ text: sample, encoding: 'utf-8' });
  });

  it('decodes UTF-16LE with BOM', () => {
    const bytes = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(sample, 'utf16le')]);
    expect(sut(bytes)).toEqual({ text: sample, encoding: 'utf-16le' });
  });

  it('decodes UTF-16BE with BOM', () => {
    const body = Buffer.from(sample, 'utf16le').swap16();
    const bytes = Buffer.concat([Buffer.from([0xfe, 0xff]), body]);
    expect(sut(bytes)).toEqual({ text: sample, encoding: 'utf-16be' });
  });

  it('decodes empty input as empty UTF-8 text', () => {
    expect(sut(new Uint8Array())).toEqual({ text: '', encoding: 'utf-8' });
  });

  it('reads legacy Korean text of KS X 1001 syllables only as EUC-KR', () => {
    const korean = '안녕하세요. 한국어 문서입니다.';
    const bytes = iconv.encode(korean, 'cp949');
    expect(sut(bytes)).toEqual({ text: korean, encoding: 'euc-kr' });
  });

  it('reads legacy Korean text with one CP949 extension syllable as CP949', () => {
    const korean = '안녕하세요. 똠양꿍을 좋아하는 한국어 문서입니다.';
    expect(sut(iconv.encode(korean, 'cp949'))).toEqual({ text: korean, encoding: 'cp949' });
  });

  it.each([
    ['ASCII', 'Hello, world!\nSecond line.\n'],
    ['Korean with spaces', '안녕하세요 세계. 한국어 문서입니다.\n'],
    ['Latin and astral characters', 'Ünïcödé 😀 text, with spaces.\n'],
  ])('reads BOM-less UTF-16 of %s by its NUL bytes, either byte order', (_case, text) => {
    expect(sut(Buffer.from(text, 'utf16le'))).toEqual({ text, encoding: 'utf-16le' });
    expect(sut(Buffer.from(text, 'utf16le').swap16())).toEqual({ text, encoding: 'utf-16be' });
  });

  it('refuses BOM-less UTF-16 without ASCII, which NUL bytes cannot tell from CP949', () => {
    expect(() => sut(Buffer.from('안녕하세요한국어문서입니다', 'utf16le'))).toThrow(TextDecodeError);
  });

  it('does not take UTF-8 with a few NULs, or 16-bit binary of small numbers, for BOM-less UTF-16', () => {
    expect(sut(Buffer.from('a\u0000b\u0000 and more words of UTF-8 text', 'utf8')).encoding).toBe('utf-8');
    // Small little-endian numbers: NULs on one side, but mostly control characters as UTF-16.
    const numbers = Buffer.alloc(512);
    for (let i = 0; i < 256; i++) numbers.writeUInt16LE(i % 32, i * 2);
    expect(sut(numbers).encoding).toBe('utf-8');
  });

  it('refuses GB18030 Chinese, which CP949 reads partly as Hangul', () => {
    const bytes = iconv.encode('这是一个用国标编码保存的中文文本，用于测试。', 'gb18030');
    expect(() => sut(bytes)).toThrow(/not guessed/);
  });

  it('throws TextDecodeError for random binary', () => {
    const bytes = pseudoRandomBytes(4096);
    expect(() => sut(bytes)).toThrow(TextDecodeError);
    expect(() => sut(bytes)).toThrow(/unable to decode/i);
  });

  it('throws when a UTF-8 BOM is followed by invalid UTF-8', () => {
    expect(() => sut(new Uint8Array([0xef, 0xbb, 0xbf, 0xff, 0xff]))).toThrow(TextDecodeError);
  });

  it('keeps stray control characters of UTF-8 text for normalisation to remove', () => {
    const text = 'hello\u0000 wor\u0007ld \u001b[0m done';
    expect(sut(Buffer.from(text, 'utf8'))).toEqual({ text, encoding: 'utf-8' });
  });

  it.each([
    ['an odd length', Buffer.from([0xff, 0xfe, 0x41, 0x00, 0x42])],
    ['an unpaired high surrogate', Buffer.from([0xff, 0xfe, 0x41, 0x00, 0x3d, 0xd8, 0x41, 0x00])],
    ['an unpaired low surrogate (big-endian)', Buffer.from([0xfe, 0xff, 0x00, 0x41, 0xde, 0x00])],
  ])('throws for UTF-16 with %s instead of yielding U+FFFD', (_case, bytes) => {
    expect(() => sut(bytes)).toThrow(TextDecodeError);
  });

  it('keeps astral characters of UTF-16BE and leaves the input bytes unswapped', () => {
    const bytes = Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from('a😀', 'utf16le').swap16()]);
    const copy = Buffer.from(bytes);
    expect(sut(bytes)).toEqual({ text: 'a😀', encoding: 'utf-16be' });
    expect(bytes).toEqual(copy);
  });

  it('refuses Latin-1 text rather than guessing', () => {
    expect(() => sut(Buffer.from('café crème brûlée, naïve façade', 'latin1'))).toThrow(TextDecodeError);
  });

  it('refuses Shift_JIS kana, which CP949 would read as rare Hangul syllables without a U+FFFD', () => {
    const bytes = iconv.encode('こんにちは、さようなら。ありがとうございます。', 'shift_jis');
    expect(iconv.decode(bytes, 'cp949')).not.toContain('\uFFFD');
    expect(() => sut(bytes)).toThrow(TextDecodeError);
  });

  it('accepts CP949 text that uses a few of its extension syllables', () => {
    const korean = '똠방각하와 펲시콜라는 확장 완성형 글자를 시험합니다.';
    expect(sut(iconv.encode(korean, 'cp949'))).toEqual({ text: korean, encoding: 'cp949' });
  });

  it('decodes 1 MB of CP949 and refuses 1 MB of bytes that only look like it', () => {
    const korean = '가나다라마바사 아자차카타파하. '.repeat(65_536);
    expect(sut(iconv.encode(korean, 'cp949'))).toEqual({ text: korean, encoding: 'euc-kr' });
    // Valid CP949 byte pairs, but Hanja: no Korean document is written in them alone.
    expect(() => sut(iconv.encode('漢字'.repeat(1 << 18), 'cp949'))).toThrow(TextDecodeError);
  });
});

describe('looksBinary', () => {
  const sut = looksBinary;

  it('flags random binary', () => {
    expect(sut(pseudoRandomBytes(4096))).toBe(true);
  });

  it('flags random binary that has NUL bytes, however short', () => {
    const bytes = pseudoRandomBytes(128);
    expect(bytes.includes(0)).toBe(true);
    expect(sut(bytes)).toBe(true);
  });

  it('does not flag text for a few stray control bytes, NUL included', () => {
    expect(sut(Buffer.from('abc\0def', 'latin1'))).toBe(false);
    expect(sut(Buffer.from('hello\u0000 wor\u0007ld \u001b[0m done', 'utf8'))).toBe(false);
  });

  it('tolerates up to 10% controls in text that decodes, up to 2% in bytes that do not', () => {
    const utf8 = (controls: number) => Buffer.from(`${'word '.repeat(20)}${'\u0000'.repeat(controls)}`, 'utf8');
    expect(sut(utf8(11))).toBe(false);
    expect(sut(utf8(12))).toBe(true);
    const latin1 = (controls: number) =>
      Buffer.from(`${'caf\u00e9 '.repeat(40)}${'\u0007'.repeat(controls)}`, 'latin1');
    expect(sut(latin1(0))).toBe(false);
    expect(sut(latin1(4))).toBe(false);
    expect(sut(latin1(5))).toBe(true);
  });

  it('accepts CP949 text with a few controls', () => {
    expect(sut(iconv.encode('안녕하세요 반갑습니다\u0007 '.repeat(4), 'cp949'))).toBe(false);
  });

  it('does not count a character cut at the end of the 8 KiB sample against the text', () => {
    // 3.6% controls, so only decoding decides; 8192 falls inside a three-byte character.
    const utf8 = Buffer.from('한한한한한한한한한\u0007'.repeat(400), 'utf8');
    expect(sut(utf8)).toBe(false);
    // The same with CP949: 8192 falls between the two bytes of a syllable.
    const cp949 = iconv.encode(`x${'안녕하세요 반갑습니다\u0007'.repeat(400)}`, 'cp949');
    expect(sut(cp949)).toBe(false);
  });

  it('flags a high share of control bytes even without NUL', () => {
    expect(sut(new Uint8Array([0x01, 0x02, 0x41, 0x03, 0x42, 0x04]))).toBe(true);
  });

  it('accepts plain, Korean and CP949 text', () => {
    expect(sut(Buffer.from('line one\n\tline two\r\n', 'utf8'))).toBe(false);
    expect(sut(Buffer.from('한국어 문서', 'utf8'))).toBe(false);
    expect(sut(iconv.encode('한국어 문서', 'cp949'))).toBe(false);
    expect(sut(new Uint8Array())).toBe(false);
  });

  it('does not flag BOM-less UTF-16 text, told by its NUL bytes', () => {
    expect(sut(Buffer.from('plain text, long enough\n'.repeat(400), 'utf16le'))).toBe(false);
    expect(sut(Buffer.from('plain text, long enough\n'.repeat(400), 'utf16le').swap16())).toBe(false);
    expect(sut(Buffer.from('한국어 문서\n'.repeat(10), 'utf16le'))).toBe(false);
  });

  it('does not flag UTF-16 text with a BOM despite its NUL bytes', () => {
    const le = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('plain text', 'utf16le')]);
    const be = Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from('plain text', 'utf16le').swap16()]);
    expect(sut(le)).toBe(false);
    expect(sut(be)).toBe(false);
  });

  it('only inspects the first 8 KiB', () => {
    const bytes = Buffer.concat([Buffer.alloc(8192, 0x61), Buffer.from([0, 0, 0])]);
    expect(sut(bytes)).toBe(false);
  });
});
