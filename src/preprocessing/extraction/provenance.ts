import type { ProcessedChunk } from '../../common/processed-json';
import type { Segment } from '../extractors/extractor';
import { SEGMENT_SEPARATOR } from '../extractors/extractor';
import { normalizeText, type TextChunk } from '../text';

/** Where a normalised segment sits in the final text, in code points (end exclusive). */
export interface Span {
  start: number;
  end: number;
  page?: number;
  headingPath: string[];
}

const SEPARATOR_CODE_POINTS = [...SEGMENT_SEPARATOR].length;

function codePoints(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    // A high surrogate followed by a low one is one code point.
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) i++;
    }
    n++;
  }
  return n;
}

/**
 * Normalises segment by segment and joins them, so each segment's place in the final text is known
 * exactly. (Segments are trimmed pieces joined by a blank line: normalising the joined text at once
 * would give the same text.)
 */
export function normalizeSegments(segments: readonly Segment[]): { text: string; spans: Span[] } {
  const kept = segments.map((s) => ({ ...s, text: normalizeText(s.text) })).filter((s) => s.text !== '');
  const spans: Span[] = [];
  let offset = 0;
  for (const s of kept) {
    const length = codePoints(s.text);
    spans.push({ start: offset, end: offset + length, page: s.page, headingPath: s.headingPath ?? [] });
    offset += length + SEPARATOR_CODE_POINTS;
  }
  return { text: kept.map((s) => s.text).join(SEGMENT_SEPARATOR), spans };
}

/**
 * Each chunk with its provenance: the pages of every segment it overlaps (null when the format has
 * no pages) and the headings above the point where it starts. Chunks and spans are both in text
 * order, so one pass over each suffices.
 */
export function withProvenance(chunks: readonly TextChunk[], spans: readonly Span[]): ProcessedChunk[] {
  let first = 0;
  return chunks.map((c) => {
    while (first < spans.length - 1 && spans[first].end <= c.char_start) first++;
    let pageStart: number | null = null;
    let pageEnd: number | null = null;
    for (let i = first; i < spans.length && spans[i].start < c.char_end; i++) {
      const page = spans[i].page;
      if (page === undefined || spans[i].end <= c.char_start) continue;
      pageStart = pageStart === null ? page : Math.min(pageStart, page);
      pageEnd = pageEnd === null ? page : Math.max(pageEnd, page);
    }
    const at = spans[first];
    return { ...c, page_start: pageStart, page_end: pageEnd, heading_path: at ? [...at.headingPath] : [] };
  });
}
