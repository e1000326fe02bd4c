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
});
