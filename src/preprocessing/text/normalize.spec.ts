import { normalizeText } from './normalize';

describe('normalizeText', () => {
  const sut = normalizeText;

  it('composes NFD Korean into NFC', () => {
    const nfd = '한'.normalize('NFD');
    expect(nfd).toHaveLength(3);
    expect(sut(nfd)).toBe('한');
    expect(sut(nfd)).toHaveLength(1);
  });

  it('converts CRLF and CR line endings to LF', () => {
    expect(sut('a\r\nb\rc\nd')).toBe('a\nb\nc\nd');
  });

  it('removes NUL, other C0/C1 controls, DEL and stray BOMs', () => {
    expect(sut('a\u0000b\u0007c\u001Bd\u007Fe\u0085f\u009Fg\uFEFFh')).toBe('abcdefgh');
  });

  it('collapses tabs and Unicode spaces into one space', () => {
    expect(sut('a \t\u00A0 b\u3000\u2003c')).toBe('a b c');
  });

  it('strips spaces at line edges and limits blank lines to one', () => {
    expect(sut('  first  \n\n\n\n   second \n \n \n third  ')).toBe('first\n\nsecond\n\nthird');
  });

  it('trims the whole text', () => {
    expect(sut('\n\n  hello world \n\n')).toBe('hello world');
  });

  it('returns empty string for whitespace and controls only', () => {
    expect(sut(' \t\u0000\r\n\u00A0')).toBe('');
  });

  it('is idempotent', () => {
    const inputs = [
      '  한'.normalize('NFD') + '\u0000글 \r\n\r\n\r\n x\t\ty  ',
      'e\u0000\u0301 cafe\u0301',
      'a\u2000b\u2001c',
      'line\u2028next\u2029para',
      '\uFEFF  \n \u00A0text\u0085\n\n\n',
    ];
    for (const input of inputs) {
      const once = sut(input);
      expect(sut(once)).toBe(once);
    }
  });

  it('composes a combining mark that a removed control had separated', () => {
    expect(sut('e\u0000\u0301')).toBe('é');
  });

  describe('on 1 MB pathological inputs', () => {
    const MB = 1 << 20;

    it('collapses a 1 MB run of spaces between words', () => {
      expect(sut(`a${' '.repeat(MB)}b`)).toBe('a b');
      expect(sut(' '.repeat(MB))).toBe('');
    });

    it('strips spaces around 1 MB worth of line breaks', () => {
      expect(sut(`a${' \n'.repeat(MB / 2)} b`)).toBe('a\n\nb');
      expect(sut(`a${'\r\n'.repeat(MB / 2)}b`)).toBe('a\n\nb');
    });

    it('removes 1 MB of controls', () => {
      expect(sut(`a${'\u0000\u0007\u001b'.repeat(MB / 3)}b`)).toBe('ab');
    });

    it('composes a 40,000-syllable Korean line given in NFD', () => {
      const syllables = Array.from({ length: 40_000 }, (_, i) => String.fromCharCode(0xac00 + ((i * 7919) % 11172)));
      const nfc = syllables.join('');
      const nfd = nfc.normalize('NFD');
      expect(nfd.length).toBeGreaterThan(80_000);
      expect(sut(nfd)).toBe(nfc);
    });

    it('breaks a long run of combining marks every 30 marks (UAX #15 stream-safe) and composes it', () => {
      const marks = '\u0301\u0316'.repeat(MB / 4);
      // q has no precomposed form with either mark, so every mark stays in the output.
      const out = sut(`q${marks}`);
      expect(out.startsWith('q')).toBe(true);
      expect(out).toBe(out.normalize('NFC'));
      expect(sut(out)).toBe(out);
      const runs = out.slice(1).split('\u034F');
      expect(runs.join('')).toHaveLength(marks.length);
      expect(runs.every((r) => r.length === 30 || r === runs[runs.length - 1])).toBe(true);
      // Within each run NFC's canonical ordering puts U+0316 (class 220) before U+0301 (class 230).
      expect(runs[0]).toBe('\u0316'.repeat(15) + '\u0301'.repeat(15));
    });
  });

  it('leaves runs of up to 30 combining marks alone', () => {
    const thirty = 'a' + '\u0301'.repeat(30);
    expect(sut(thirty)).toBe(thirty.normalize('NFC'));
    expect(sut(thirty)).not.toContain('\u034F');
    expect(sut(thirty + '\u0301')).toBe(`${thirty}\u034F\u0301`.normalize('NFC'));
  });

  it('counts astral combining marks as one each when splitting a run', () => {
    const out = sut('x' + '\u{1D167}'.repeat(31));
    expect(out).toBe('x' + '\u{1D167}'.repeat(30) + '\u034F\u{1D167}');
  });
});
