import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ProcessedJson } from '../../common/processed-json';
import { preloadPdfjs } from '../../../test/support/pdfjs-preload';
import { buildProcessedJson } from './pipeline';

/**
 * A PDF through the whole pipeline (extract, normalise, chunk, provenance): every chunk says which
 * pages it comes from, and no text is lost or repeated where one page ends and the next begins.
 * The fixture, test/fixtures/formats/multipage-headings.pdf, is written by scripts/make-pdf-fixtures.js:
 * 4 pages, each a heading "Chapter N" and about 2,000 characters, so 1,000-code-point chunks cross
 * every seam.
 */
const FIXTURE = join(__dirname, '..', '..', '..', 'test', 'fixtures', 'formats', 'multipage-headings.pdf');
// The script that writes the fixture gives the text it wrote on each page.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { MULTIPAGE_HEADINGS_PAGES: SOURCE_PAGES } = require('../../../scripts/make-pdf-fixtures.js') as {
  MULTIPAGE_HEADINGS_PAGES: { heading: string; paragraphs: string[] }[];
};
const PAGES = SOURCE_PAGES.length;

const words = (s: string) => s.split(/\s+/).filter(Boolean);
const sourceWords = (page: (typeof SOURCE_PAGES)[number]) => words([page.heading, ...page.paragraphs].join(' '));

describe('a PDF through the pipeline: page provenance and page seams', () => {
  let processed: ProcessedJson;
  /** The text as code points, the unit of char_start and char_end. */
  let cps: string[];
  /** Where each page's text starts and ends in `cps` (end exclusive), from where "Chapter N" falls. */
  let pageRanges: { page: number; start: number; end: number }[];

  beforeAll(async () => {
    await preloadPdfjs();
    const outcome = await buildProcessedJson(
      {
        bytes: readFileSync(FIXTURE),
        key: 'x/multipage-headings.pdf',
        maxTextChars: 5_000_000,
        programId: 'prog_000000000000000000000000',
        sourceIndex: 0,
        sourceFilePath: 's3://b/x/multipage-headings.pdf',
      },
      new AbortController().signal,
    );
    if (!outcome.ok) throw new Error(`extraction failed: ${outcome.code} ${outcome.message}`);
    processed = JSON.parse(new TextDecoder().decode(outcome.json)) as ProcessedJson;
    cps = [...processed.text];

    const starts = SOURCE_PAGES.map(({ heading }) => {
      const at = processed.text.indexOf(heading);
      expect(at).toBeGreaterThanOrEqual(0);
      expect(processed.text.lastIndexOf(heading)).toBe(at);
      return [...processed.text.slice(0, at)].length;
    });
    pageRanges = starts.map((start, i) => ({
      page: i + 1,
      start,
      // Pages are joined by a blank line ("\n\n"), which belongs to neither.
      end: i + 1 < starts.length ? starts[i + 1] - 2 : cps.length,
    }));
  });

  it('reads the fixture as 4 pages, with the Info title', () => {
    expect(PAGES).toBe(4);
    expect(processed.stats.pages).toBe(4);
    expect(processed.content_type).toBe('application/pdf');
    expect(processed.title).toBe('Multipage Headings');
  });

  it('has each page once, in order, starting with its heading and joined by a blank line', () => {
    expect(pageRanges[0].start).toBe(0);
    for (let i = 0; i + 1 < pageRanges.length; i++) {
      expect(pageRanges[i].start).toBeLessThan(pageRanges[i + 1].start);
      expect(cps.slice(pageRanges[i].end, pageRanges[i + 1].start).join('')).toBe('\n\n');
    }
    // Nothing lost or repeated, at the seams or anywhere: each page's range holds exactly its words.
    pageRanges.forEach(({ start, end }, i) => {
      expect(words(cps.slice(start, end).join(''))).toEqual(sourceWords(SOURCE_PAGES[i]));
    });
    expect(words(processed.text)).toEqual(SOURCE_PAGES.flatMap(sourceWords));
    // Every sentence (each names its chapter, paragraph and place) once, lines broken anywhere.
    const flat = processed.text.replace(/\s+/g, ' ');
    for (const page of SOURCE_PAGES) {
      for (const paragraph of page.paragraphs) {
        for (const sentence of paragraph.split(/(?<=\.) /)) expect(flat.split(sentence).length - 1).toBe(1);
      }
    }
  });

  it('gives every chunk exactly its slice of the text, the chunks covering it with overlaps', () => {
    const { chunks } = processed;
    expect(chunks.length).toBeGreaterThan(PAGES);
    chunks.forEach((chunk, i) => {
      expect(chunk.index).toBe(i);
      expect(chunk.text).toBe(cps.slice(chunk.char_start, chunk.char_end).join(''));
      expect(chunk.char_end - chunk.char_start).toBeLessThanOrEqual(1000);
    });
    expect(chunks[0].char_start).toBe(0);
    expect(chunks[chunks.length - 1].char_end).toBe(cps.length);
    for (let i = 1; i < chunks.length; i++) {
      expect(chunks[i].char_start).toBeGreaterThan(chunks[i - 1].char_start);
      expect(chunks[i].char_start).toBeLessThanOrEqual(chunks[i - 1].char_end);
    }
  });

  it('gives every chunk the pages its text comes from', () => {
    // First page: the first whose text (or the blank line after it) the chunk reaches into; last
    // page: the last whose text starts before the chunk ends.
    const expected = processed.chunks.map(({ char_start, char_end }) => ({
      page_start: pageRanges.find((r) => char_start < r.end)!.page,
      page_end: [...pageRanges].reverse().find((r) => r.start < char_end)!.page,
    }));
    expect(processed.chunks.map(({ page_start, page_end }) => ({ page_start, page_end }))).toEqual(expected);
    // The fixture does what it is for: some chunk crosses each of the 3 seams.
    for (let page = 1; page < PAGES; page++) {
      expect(processed.chunks.some((c) => c.page_start === page && c.page_end === page + 1)).toBe(true);
    }
    // And every page is someone's first page.
    expect(new Set(processed.chunks.map((c) => c.page_start))).toEqual(new Set([1, 2, 3, 4]));
    expect(processed.chunks.every((c) => c.heading_path.length === 0)).toBe(true);
  });
});
