/** Offsets are in Unicode code points; char_end is exclusive. */
export interface TextChunk {
  index: number;
  text: string;
  char_start: number;
  char_end: number;
}

export interface ChunkOptions {
  size?: number;
  overlap?: number;
}

const DEFAULT_SIZE = 1000;
const DEFAULT_OVERLAP = 100;
// Only the tail of a window is searched for a natural boundary so chunks stay close to full size.
const CUT_SEARCH_SHARE = 0.3;

const SPACED_SENTENCE_END = new Set(['.', '!', '?', '…']);
// CJK full-width terminators are not followed by spaces in Chinese/Japanese text.
const CJK_SENTENCE_END = new Set(['。', '！', '？']);

const isSpace = (ch: string | undefined): boolean => ch !== undefined && /\s/u.test(ch);

function isSentenceCut(cps: string[], p: number): boolean {
  const prev = cps[p - 1];
  // Paragraph break: end the chunk before the newline rather than after it.
  if (cps[p] === '\n' && prev !== '\n') return true;
  if (CJK_SENTENCE_END.has(prev)) return true;
  return SPACED_SENTENCE_END.has(prev) && (p === cps.length || isSpace(cps[p]));
}

/** Returns the exclusive end of the chunk that starts at `start` and may not reach `limit`. */
function findCut(cps: string[], start: number, limit: number, size: number): number {
  const earliest = Math.max(start + 1, limit - Math.floor(size * CUT_SEARCH_SHARE));
  for (let p = limit; p >= earliest; p--) if (isSentenceCut(cps, p)) return p;
  for (let p = limit; p >= earliest; p--) if (isSpace(cps[p]) && !isSpace(cps[p - 1])) return p;
  return limit;
}

function nextStart(cps: string[], start: number, end: number, overlap: number): number {
  const candidate = Math.max(end - overlap, start + 1);
  for (let q = candidate; q < end; q++) if (!isSpace(cps[q]) && isSpace(cps[q - 1])) return q;
  // No word starts inside the overlap (e.g. a hard-cut long word): keep the raw overlap.
  return candidate;
}

export function chunkText(text: string, opts: ChunkOptions = {}): TextChunk[] {
  const size = opts.size ?? DEFAULT_SIZE;
  const overlap = opts.overlap ?? DEFAULT_OVERLAP;
  if (!Number.isInteger(size) || size < 1) throw new RangeError(`chunk size must be a positive integer, got ${size}`);
  if (!Number.isInteger(overlap) || overlap < 0 || overlap >= size) {
    throw new RangeError(`chunk overlap must be an integer in [0, size), got ${overlap}`);
  }

  // Working on code points guarantees surrogate pairs are never split and offsets count code points.
  const cps = Array.from(text);
  const chunks: TextChunk[] = [];
  let start = 0;
  while (start < cps.length) {
    const limit = start + size;
    const end = limit >= cps.length ? cps.length : findCut(cps, start, limit, size);
    chunks.push({ index: chunks.length, text: cps.slice(start, end).join(''), char_start: start, char_end: end });
    if (end === cps.length) break;
    start = nextStart(cps, start, end, overlap);
  }
  return chunks;
}
