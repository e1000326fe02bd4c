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

  it('falls back to CP949 for legacy Korean text', () => {
    const korean = '안녕하세요. 한국어 문서입니다.';
    const bytes = iconv.encode(korean, 'cp949');
    expect(sut(bytes)).toEqual({ text: korean, encoding: 'cp949' });
  });

  it('throws TextDecodeError for random binary', () => {
    const bytes = pseudoRandomBytes(4096);
    expect(() => sut(bytes)).toThrow(TextDecodeError);
    expect(() => sut(bytes)).toThrow(/unable to decode/i);
  });

  it('throws when a UTF-8 BOM is followed by invalid UTF-8', () => {
    expect(() => sut(new Uint8Array([0xef, 0xbb, 0xbf, 0xff, 0xff]))).toThrow(TextDecodeError);
  });
});

describe('looksBinary', () => {
  const sut = looksBinary;

  it('flags random binary', () => {
    expect(sut(pseudoRandomBytes(4096))).toBe(true);
  });

  it('flags NUL bytes', () => {
    expect(sut(Buffer.from('abc\0def', 'latin1'))).toBe(true);
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
