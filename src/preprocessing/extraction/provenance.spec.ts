import { chunkText } from '../text';
import { normalizeSegments, withProvenance } from './provenance';

describe('normalizeSegments', () => {
  const sut = normalizeSegments;

  it('joins normalised segments by a blank line and knows where each one is, in code points', () => {
    const { text, spans } = sut([
      { text: '  First   page 😀 ', page: 1 },
      { text: '   ', page: 2 },
      { text: 'Second\r\npage', page: 3, headingPath: ['A', 'B'] },
    ]);
    expect(text).toBe('First page 😀\n\nSecond\npage');
    expect(spans).toEqual([
      { start: 0, end: 12, page: 1, headingPath: [] },
      { start: 14, end: 25, page: 3, headingPath: ['A', 'B'] },
    ]);
    const cps = [...text];
    for (const s of spans) expect(cps.slice(s.start, s.end).join('')).not.toMatch(/^\s|\s$/);
  });

  it('gives the same text as normalising the joined text at once', () => {
    const segments = [{ text: 'e\u0301  x\t' }, { text: '\n\n\n y  ' }, { text: '한'.normalize('NFD') }];
    const { text } = sut(segments);
    expect(text).toBe('é x\n\ny\n\n한');
  });
});

describe('withProvenance', () => {
  const sut = withProvenance;

  it('gives each chunk the pages it overlaps and the headings where it starts', () => {
    const pages = Array.from({ length: 3 }, (_, i) => ({
      text: `${'Sentence on this page. '.repeat(30)}`,
      page: i + 1,
      headingPath: [`Chapter ${i + 1}`],
    }));
    const { text, spans } = normalizeSegments(pages);
    const chunks = sut(chunkText(text, { size: 300, overlap: 30 }), spans);
    expect(chunks.length).toBeGreaterThan(6);
    expect(chunks[0]).toMatchObject({ page_start: 1, heading_path: ['Chapter 1'] });
    expect(chunks[chunks.length - 1]).toMatchObject({ page_end: 3, heading_path: ['Chapter 3'] });
    for (const c of chunks) {
      expect(c.page_start).toBeLessThanOrEqual(c.page_end!);
      const touched = spans.filter((s) => s.start < c.char_end && s.end > c.char_start).map((s) => s.page);
      expect([c.page_start, c.page_end]).toEqual([
        Math.min(...(touched as number[])),
        Math.max(...(touched as number[])),
      ]);
    }
    // A chunk that crosses a page seam says so, and no text is lost or doubled there.
    expect(chunks.some((c) => c.page_end! > c.page_start!)).toBe(true);
  });

  it('says null pages and no headings for formats without them', () => {
    const { text, spans } = normalizeSegments([{ text: 'just text' }]);
    expect(sut(chunkText(text), spans)).toEqual([
      { index: 0, text: 'just text', char_start: 0, char_end: 9, page_start: null, page_end: null, heading_path: [] },
    ]);
  });
});
