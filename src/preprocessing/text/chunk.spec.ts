import { chunkText, TextChunk } from './chunk';

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function englishText(sentences: number): string {
  const words = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot', 'golf', 'hotel', 'india', 'juliet'];
  const out: string[] = [];
  for (let i = 0; i < sentences; i++) {
    const len = 6 + (i % 7);
    const sentence = Array.from({ length: len }, (_, j) => words[(i * 3 + j) % words.length]).join(' ');
    out.push(`${sentence[0].toUpperCase()}${sentence.slice(1)}${i % 5 === 4 ? '!' : '.'}`);
  }
  return out.join(' ');
}

function koreanText(sentences: number): string {
  const bodies = [
    '오늘은 날씨가 매우 좋습니다',
    '우리는 공원에서 산책을 했습니다',
    '한국어 문서를 처리하는 중입니다',
    '이 문장은 시험용입니다',
  ];
  return Array.from({ length: sentences }, (_, i) => `${bodies[i % bodies.length]}.`).join(' ');
}

function reassemble(chunks: TextChunk[]): string {
  const cps = chunks.map((c) => Array.from(c.text));
  let out = chunks[0].text;
  for (let i = 1; i < chunks.length; i++) {
    out += cps[i].slice(chunks[i - 1].char_end - chunks[i].char_start).join('');
  }
  return out;
}

function expectConsistent(text: string, chunks: TextChunk[], size: number, overlap: number): void {
  const cps = Array.from(text);
  chunks.forEach((c, i) => {
    expect(c.index).toBe(i);
    expect(c.char_end).toBeGreaterThan(c.char_start);
    expect(c.char_end - c.char_start).toBeLessThanOrEqual(size);
    expect(cps.slice(c.char_start, c.char_end).join('')).toBe(c.text);
    expect(c.text).not.toMatch(LONE_SURROGATE);
    if (i > 0) {
      const prev = chunks[i - 1];
      expect(c.char_start).toBeGreaterThan(prev.char_start);
      expect(c.char_start).toBeLessThanOrEqual(prev.char_end);
      expect(prev.char_end - c.char_start).toBeLessThanOrEqual(overlap);
    }
  });
  expect(chunks[0].char_start).toBe(0);
  expect(chunks[chunks.length - 1].char_end).toBe(cps.length);
  expect(reassemble(chunks)).toBe(text);
}

describe('chunkText', () => {
  const sut = chunkText;

  it('returns no chunks for empty text', () => {
    expect(sut('')).toEqual([]);
  });

  it('returns one chunk for text shorter than size', () => {
    expect(sut('short text 😀')).toEqual([{ index: 0, text: 'short text 😀', char_start: 0, char_end: 12 }]);
  });

  it('returns one chunk for text of exactly size code points', () => {
    const text = 'a'.repeat(1000);
    expect(sut(text)).toEqual([{ index: 0, text, char_start: 0, char_end: 1000 }]);
  });

  it('uses defaults of size 1000 and overlap 100', () => {
    const text = englishText(400);
    const chunks = sut(text);
    expect(chunks.length).toBeGreaterThan(1);
    expectConsistent(text, chunks, 1000, 100);
  });

  it.each([
    [200, 40],
    [120, 0],
    [50, 49],
    [1, 0],
  ])('keeps size %i / overlap %i invariants on English text', (size, overlap) => {
    const text = englishText(80);
    expectConsistent(text, sut(text, { size, overlap }), size, overlap);
  });

  it('overlaps consecutive chunks by at least one code point on normal text', () => {
    const text = englishText(200);
    const chunks = sut(text, { size: 300, overlap: 50 });
    for (let i = 1; i < chunks.length; i++) {
      expect(chunks[i - 1].char_end - chunks[i].char_start).toBeGreaterThanOrEqual(1);
    }
  });

  it('starts overlapping chunks at a word start', () => {
    const text = englishText(200);
    const cps = Array.from(text);
    const chunks = sut(text, { size: 300, overlap: 50 });
    for (const c of chunks.slice(1)) {
      expect(cps[c.char_start]).toMatch(/\S/);
      expect(cps[c.char_start - 1]).toMatch(/\s/);
    }
  });

  it('cuts English text at sentence ends', () => {
    const text = englishText(120);
    const chunks = sut(text, { size: 250, overlap: 30 });
    expect(chunks.length).toBeGreaterThan(3);
    for (const c of chunks.slice(0, -1)) expect(c.text).toMatch(/[.!]$/);
  });

  it('cuts Korean text at sentence ends', () => {
    const text = koreanText(100);
    const chunks = sut(text, { size: 150, overlap: 20 });
    expect(chunks.length).toBeGreaterThan(3);
    for (const c of chunks.slice(0, -1)) expect(c.text).toMatch(/다\.$/);
    expectConsistent(text, chunks, 150, 20);
  });

  it('cuts CJK text after full-width terminators without spaces', () => {
    const text = '今日は良い天気です。'.repeat(30);
    const chunks = sut(text, { size: 55, overlap: 5 });
    for (const c of chunks.slice(0, -1)) expect(c.text).toMatch(/。$/);
    expectConsistent(text, chunks, 55, 5);
  });

  it('prefers paragraph breaks, ending the chunk before the newline', () => {
    const paragraph = 'word '.repeat(15).trim();
    const text = Array.from({ length: 10 }, () => paragraph).join('\n\n');
    const chunks = sut(text, { size: 100, overlap: 10 });
    for (const c of chunks.slice(0, -1)) expect(c.text).toMatch(/word$/);
    expect(chunks[0].char_end).toBe(paragraph.length);
    expectConsistent(text, chunks, 100, 10);
  });

  it('falls back to the last whitespace when no sentence end is in reach', () => {
    const text = 'lorem ipsum dolor sit amet '.repeat(40).trim();
    const chunks = sut(text, { size: 100, overlap: 10 });
    const cps = Array.from(text);
    for (const c of chunks.slice(0, -1)) expect(cps[c.char_end]).toBe(' ');
    expectConsistent(text, chunks, 100, 10);
  });

  it('counts emoji as single code points and never splits surrogate pairs', () => {
    const text = '😀'.repeat(2500);
    const chunks = sut(text);
    expect(chunks.map((c) => [c.char_start, c.char_end])).toEqual([
      [0, 1000],
      [900, 1900],
      [1800, 2500],
    ]);
    expect(chunks[0].text).toBe('😀'.repeat(1000));
    expect(chunks[0].text).toHaveLength(2000);
    expectConsistent(text, chunks, 1000, 100);
  });

  it('hard-cuts a long word without spaces', () => {
    const text = 'x'.repeat(2500);
    const chunks = sut(text, { size: 1000, overlap: 100 });
    expect(chunks.map((c) => c.char_end)).toEqual([1000, 1900, 2500]);
    expectConsistent(text, chunks, 1000, 100);
  });

  it('keeps its invariants on pseudo-random mixed text', () => {
    const pieces = ['word', '단어', '😀', ' ', ' ', '\n', '. ', '다. ', '。', 'supercalifragilistic', '\n\n'];
    let seed = 7;
    const rand = (n: number): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return (seed >>> 8) % n;
    };
    for (let round = 0; round < 50; round++) {
      const text = Array.from({ length: 50 + rand(400) }, () => pieces[rand(pieces.length)]).join('');
      const size = 1 + rand(120);
      const overlap = rand(size);
      expectConsistent(text, sut(text, { size, overlap }), size, overlap);
    }
  });

  describe('on 1 MB inputs', () => {
    const MB = 1 << 20;

    it('hard-cuts a text with no spaces or sentence ends into full windows', () => {
      const text = 'abcdefghij'.repeat(MB / 10);
      const chunks = sut(text);
      expect(chunks).toHaveLength(Math.ceil((text.length - 100) / 900));
      chunks.slice(0, -1).forEach((c, i) => expect([c.char_start, c.char_end]).toEqual([i * 900, i * 900 + 1000]));
      expectConsistent(text, chunks, 1000, 100);
    });

    it('chunks a run of spaces', () => {
      const text = ' '.repeat(MB);
      const chunks = sut(text);
      expect(chunks[1]).toMatchObject({ char_start: 900, char_end: 1900 });
      expectConsistent(text, chunks, 1000, 100);
    });

    it('chunks emoji by code points without splitting a surrogate pair', () => {
      const text = '😀'.repeat(MB / 2);
      const chunks = sut(text);
      expect(chunks[1]).toMatchObject({ char_start: 900, char_end: 1900, text: '😀'.repeat(1000) });
      expectConsistent(text, chunks, 1000, 100);
    });

    it('keeps offsets in code points when emoji and ASCII mix', () => {
      const text = 'ab😀 cd. '.repeat(MB / 16);
      const cps = [...text];
      const chunks = sut(text);
      for (const c of chunks) expect(cps.slice(c.char_start, c.char_end).join('')).toBe(c.text);
      expectConsistent(text, chunks, 1000, 100);
    });
  });

  it('rejects invalid options', () => {
    expect(() => sut('abc', { size: 0 })).toThrow(RangeError);
    expect(() => sut('abc', { size: 10, overlap: 10 })).toThrow(RangeError);
    expect(() => sut('abc', { overlap: -1 })).toThrow(RangeError);
    expect(() => sut('abc', { size: 2.5 })).toThrow(RangeError);
  });
});
