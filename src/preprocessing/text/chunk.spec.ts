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

/** Code-point offsets where a sentence ends (before its trailing whitespace), from the whole text. */
function sentenceEnds(text: string): Set<number> {
  const ends = new Set<number>();
  const segmenter = new Intl.Segmenter(undefined, { granularity: 'sentence' });
  let cp = 0;
  for (const { segment } of segmenter.segment(text)) {
    const cps = Array.from(segment);
    let end = cps.length;
    while (end > 0 && /\s/u.test(cps[end - 1])) end--;
    if (end > 0) ends.add(cp + end);
    cp += cps.length;
  }
  return ends;
}

/**
 * Every chunk but the last ends at the last sentence end in its search region (the second half of
 * its window) whenever that region holds one; returns how many chunks were checked that way.
 */
function expectSentenceCuts(text: string, chunks: TextChunk[], size: number): number {
  const ends = sentenceEnds(text);
  let checked = 0;
  for (const c of chunks.slice(0, -1)) {
    const earliest = c.char_start + Math.max(1, Math.ceil(size / 2));
    let last = -1;
    for (let cp = c.char_start + size; cp >= earliest; cp--) {
      if (ends.has(cp)) {
        last = cp;
        break;
      }
    }
    if (last >= 0) {
      expect(c.char_end).toBe(last);
      checked++;
    }
  }
  return checked;
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

  describe('sentence boundaries from Intl.Segmenter', () => {
    const languages: [string, string, RegExp][] = [
      ['English', englishText(150), /[.!]$/],
      [
        'Korean (다. and 요. followed by spaces)',
        Array.from({ length: 150 }, (_, i) =>
          i % 3 === 0
            ? '오늘은 날씨가 정말 좋아요.'
            : i % 3 === 1
              ? '우리는 공원에서 오래 산책을 했습니다.'
              : '이 문장은 시험용입니다.',
        ).join(' '),
        /[다요]\.$/,
      ],
      [
        'Japanese (。 without spaces)',
        Array.from({ length: 150 }, (_, i) =>
          i % 2 === 0 ? '今日は良い天気です。' : '私たちは公園でゆっくり散歩をしました。',
        ).join(''),
        /。$/,
      ],
      [
        'Chinese (。！？ without spaces)',
        Array.from({ length: 150 }, (_, i) => ['今天天气很好。', '我们去公园散步吧！', '你明天有时间吗？'][i % 3]).join(
          '',
        ),
        /[。！？]$/,
      ],
      [
        'mixed languages and emoji',
        Array.from(
          { length: 150 },
          (_, i) =>
            [
              'Retrieval needs good chunks 😀.',
              '검색에는 좋은 청크가 필요합니다.',
              '検索には良い分割が必要です。',
              '检索需要好的分块！',
            ][i % 4],
        ).join(' '),
        /[.。！]$/,
      ],
    ];

    it.each(languages)('cuts %s text at the last sentence end in the window', (_name, text, terminator) => {
      const size = 200;
      const overlap = 30;
      const chunks = sut(text, { size, overlap });
      expect(chunks.length).toBeGreaterThan(5);
      // Sentences are dense, so every window's search region holds a sentence end.
      expect(expectSentenceCuts(text, chunks, size)).toBe(chunks.length - 1);
      for (const c of chunks.slice(0, -1)) {
        expect(c.text).toMatch(terminator);
        expect(c.char_end - c.char_start).toBeGreaterThanOrEqual(size / 2);
      }
      const cps = [...text];
      for (const c of chunks) expect(cps.slice(c.char_start, c.char_end).join('')).toBe(c.text);
      expectConsistent(text, chunks, size, overlap);
    });

    it.each(languages)('cuts %s text at sentence ends with the default size', (_name, text) => {
      const long = Array.from({ length: 6 }, () => text).join(' ');
      const chunks = sut(long);
      expect(chunks.length).toBeGreaterThan(3);
      expect(expectSentenceCuts(long, chunks, 1000)).toBe(chunks.length - 1);
      expectConsistent(long, chunks, 1000, 100);
    });

    it('ignores a sentence end in the first half of the window (the minimum chunk size)', () => {
      const text = `Hi. ${'lorem ipsum dolor sit amet '.repeat(10)}`.trim();
      const chunks = sut(text, { size: 100, overlap: 10 });
      expect(chunks[0].char_end).toBeGreaterThanOrEqual(50);
      expect(Array.from(text)[chunks[0].char_end]).toBe(' ');
      expectConsistent(text, chunks, 100, 10);
    });

    it('recognises a sentence end exactly at the window end', () => {
      const head = 'Alpha beta.'.padStart(700, 'y') + ' ' + 'etc.'.padStart(299, 'Z');
      const text = `${head} And more words follow here.`;
      const chunks = sut(text, { size: 1000, overlap: 100 });
      expect(chunks[0].char_end).toBe(1000);
      expect(chunks[0].text).toBe(head);
    });

    it('does not take the end of the examined slice for a sentence end', () => {
      // "etc. and" is no sentence end (lower case follows), so the cut goes back to "beta.". The
      // spaces outrun the lookahead, so the examined slice ends among them, looking like "etc. ".
      const head = 'Alpha beta.'.padStart(700, 'y') + ' ' + 'etc.'.padStart(299, 'Z');
      const text = `${head}${' '.repeat(100)}and more words follow here.`;
      const chunks = sut(text, { size: 1000, overlap: 100 });
      expect(chunks[0].char_end).toBe(700);
      expect(chunks[0].text).toMatch(/Alpha beta\.$/);
      expectConsistent(text, chunks, 1000, 100);
    });

    it('ends a chunk with closing quotes after the terminator', () => {
      const text = Array.from({ length: 40 }, (_, i) => `She said "sentence number ${i} is here."`).join(' ');
      const chunks = sut(text, { size: 150, overlap: 20 });
      for (const c of chunks.slice(0, -1)) expect(c.text).toMatch(/\."$/);
      expectConsistent(text, chunks, 150, 20);
    });
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

    it('hard-cuts one never-ending sentence without terminators or spaces', () => {
      const text = '今日は😀良い天気'.repeat(MB / 8);
      const cps = [...text];
      const chunks = sut(text);
      expect(chunks).toHaveLength(Math.ceil((cps.length - 100) / 900));
      chunks.slice(0, -1).forEach((c, i) => expect([c.char_start, c.char_end]).toEqual([i * 900, i * 900 + 1000]));
      for (const c of chunks) expect(cps.slice(c.char_start, c.char_end).join('')).toBe(c.text);
      expectConsistent(text, chunks, 1000, 100);
    });

    it('cuts one never-ending sentence of words at whitespace', () => {
      const text = 'and then the story went on '.repeat(MB / 27).trim();
      const cps = [...text];
      const chunks = sut(text);
      expect(chunks.length).toBeGreaterThanOrEqual(Math.ceil(cps.length / 1000));
      expect(chunks.length).toBeLessThanOrEqual(Math.ceil(cps.length / 400) + 1);
      for (const c of chunks.slice(0, -1)) expect(cps[c.char_end]).toBe(' ');
      expectConsistent(text, chunks, 1000, 100);
    });

    it('stays linear on very short sentences', () => {
      const text = 'A. '.repeat(MB / 3);
      const cps = [...text];
      const chunks = sut(text);
      // Every chunk is at least half a window long and advances by at least 500 - 100 code points.
      expect(chunks.length).toBeGreaterThanOrEqual(Math.ceil(cps.length / 1000));
      expect(chunks.length).toBeLessThanOrEqual(Math.ceil(cps.length / 400) + 1);
      for (const c of chunks.slice(0, -1)) {
        expect(c.text).toMatch(/^A\..*A\.$/s);
        expect(c.char_end - c.char_start).toBeGreaterThanOrEqual(500);
      }
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
