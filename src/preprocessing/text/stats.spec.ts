import { textStats } from './stats';

describe('textStats', () => {
  const sut = textStats;

  it('counts empty text as zero', () => {
    expect(sut('')).toEqual({ characters: 0, words: 0 });
  });

  it('counts characters in code points and words as non-whitespace runs', () => {
    expect(sut('hello  world\n안녕 😀😀')).toEqual({ characters: 18, words: 4 });
  });

  it('does not count whitespace-only text as words', () => {
    expect(sut(' \n\t\u3000')).toEqual({ characters: 4, words: 0 });
  });

  it('counts 1 MB texts of one long word, of spaces and of emoji', () => {
    const MB = 1 << 20;
    expect(sut('x'.repeat(MB))).toEqual({ characters: MB, words: 1 });
    expect(sut(' '.repeat(MB))).toEqual({ characters: MB, words: 0 });
    expect(sut('😀 '.repeat(MB / 4))).toEqual({ characters: MB / 2, words: MB / 4 });
  });
});
