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
/**
 * The search region for a cut is the window after this share of `size`: a chunk ends at the last
 * sentence end (else the last whitespace) in the second half of its window, so no chunk but the
 * last is shorter than half the size, and any sentence end in that region is used.
 */
const MIN_CHUNK_SHARE = 0.5;
/**
 * Code points examined past the window end, so the segmenter can tell whether a terminator at (or
 * just before) the window end really ends a sentence, e.g. "end. Next" against "etc. and".
 */
const SENTENCE_LOOKAHEAD = 32;

/**
 * ICU's sentence rules (UAX #29) do not depend on the locale: they break after ., !, ?, …, the CJK
 * full stops 。！？, and after every line or paragraph separator. Created once; segment() is cheap.
 */
const SENTENCES = new Intl.Segmenter(undefined, { granularity: 'sentence' });

/**
 * The characters of `/\s/u`. All of them are in the BMP, so testing single UTF-16 units is exact: a
 * surrogate is never one of them.
 */
function isSpaceCode(c: number): boolean {
  if (c <= 0x20) return c === 0x20 || (c >= 0x09 && c <= 0x0d);
  if (c < 0xa0) return false;
  return (
    c === 0xa0 ||
    c === 0x1680 ||
    (c >= 0x2000 && c <= 0x200a) ||
    c === 0x2028 ||
    c === 0x2029 ||
    c === 0x202f ||
    c === 0x205f ||
    c === 0x3000 ||
    c === 0xfeff
  );
}

const isHighSurrogate = (c: number): boolean => c >= 0xd800 && c <= 0xdbff;
const isLowSurrogate = (c: number): boolean => c >= 0xdc00 && c <= 0xdfff;

// A pair is a high surrogate directly followed by a low one; any other surrogate counts as one code
// point on its own, as Array.from would count it. Stepping this way never lands inside a pair.
function nextUnit(text: string, u: number): number {
  return isHighSurrogate(text.charCodeAt(u)) && isLowSurrogate(text.charCodeAt(u + 1)) ? u + 2 : u + 1;
}

function prevUnit(text: string, u: number): number {
  return isLowSurrogate(text.charCodeAt(u - 1)) && isHighSurrogate(text.charCodeAt(u - 2)) ? u - 2 : u - 1;
}

// charCodeAt past either end is NaN, which is no space: the code point "before 0" or "at the end".
const isSpaceAt = (text: string, u: number): boolean => isSpaceCode(text.charCodeAt(u));

/** A position in the text, both as a code-point offset and as a UTF-16 index. */
interface Position {
  cp: number;
  u: number;
}

/**
 * The last sentence end whose code-point offset lies in [earliest, limit.cp], or null. Only the text
 * from `start` to a little past `limit` is segmented; a segment ending at the end of that slice is
 * no boundary unless the slice reaches the end of the text. The cut goes before the sentence's
 * trailing whitespace (and line breaks), so the chunk ends with its terminator.
 */
function lastSentenceEnd(text: string, start: Position, limit: Position, earliest: number): Position | null {
  let sliceEnd = limit.u;
  for (let i = 0; i < SENTENCE_LOOKAHEAD && sliceEnd < text.length; i++) sliceEnd = nextUnit(text, sliceEnd);
  const atTextEnd = sliceEnd >= text.length;

  let found: Position | null = null;
  // Walks forward once over the slice, counting code points up to each candidate cut.
  const cursor: Position = { ...start };
  for (const { index, segment } of SENTENCES.segment(text.slice(start.u, sliceEnd))) {
    const segStart = start.u + index;
    if (segStart >= limit.u) break; // any cut of this or a later segment lies past the window
    const segEnd = segStart + segment.length;
    if (segEnd >= sliceEnd && !atTextEnd) break; // the artificial end of the slice
    // Whitespace is all in the BMP, so stepping back by single UTF-16 units is exact.
    let cutU = segEnd;
    while (cutU > segStart && isSpaceAt(text, cutU - 1)) cutU--;
    if (cutU === segStart) continue; // a segment of whitespace only, e.g. the second "\n" of "\n\n"
    while (cursor.u < cutU) {
      cursor.u = nextUnit(text, cursor.u);
      cursor.cp++;
    }
    if (cursor.cp > limit.cp) break;
    if (cursor.cp >= earliest) found = { ...cursor };
  }
  return found;
}

/** The exclusive end of the chunk that starts at `start` and may not reach `limit` (inside the text). */
function findCut(text: string, start: Position, limit: Position, size: number): Position {
  const earliest = start.cp + Math.max(1, Math.ceil(size * MIN_CHUNK_SHARE));
  const sentenceEnd = lastSentenceEnd(text, start, limit, earliest);
  if (sentenceEnd) return sentenceEnd;
  for (let cp = limit.cp, u = limit.u; cp >= earliest; cp--, u = prevUnit(text, u)) {
    if (isSpaceAt(text, u) && !isSpaceAt(text, u - 1)) return { cp, u };
  }
  return limit;
}

function nextStart(text: string, start: Position, end: Position, overlap: number): Position {
  let candidate: Position;
  if (end.cp - overlap > start.cp + 1) {
    let u = end.u;
    for (let i = 0; i < overlap; i++) u = prevUnit(text, u);
    candidate = { cp: end.cp - overlap, u };
  } else {
    candidate = { cp: start.cp + 1, u: nextUnit(text, start.u) };
  }
  for (let cp = candidate.cp, u = candidate.u; cp < end.cp; cp++, u = nextUnit(text, u)) {
    if (!isSpaceAt(text, u) && isSpaceAt(text, u - 1)) return { cp, u };
  }
  // No word starts inside the overlap (e.g. a hard-cut long word): keep the raw overlap.
  return candidate;
}

/**
 * Splits text into chunks of at most `size` code points, overlapping by at most `overlap`. A chunk
 * ends at the last sentence end (from Intl.Segmenter) in the second half of its window, else at the
 * last whitespace there, else after exactly `size` code points; the next chunk starts at a word
 * start within the overlap. Works on UTF-16 indices and counts code points as it steps, so no
 * per-code-point array is built; each chunk costs O(size), segmenting only its own window, which
 * keeps the whole run linear in the text (and in the output) length.
 */
export function chunkText(text: string, opts: ChunkOptions = {}): TextChunk[] {
  const size = opts.size ?? DEFAULT_SIZE;
  const overlap = opts.overlap ?? DEFAULT_OVERLAP;
  if (!Number.isInteger(size) || size < 1) throw new RangeError(`chunk size must be a positive integer, got ${size}`);
  if (!Number.isInteger(overlap) || overlap < 0 || overlap >= size) {
    throw new RangeError(`chunk overlap must be an integer in [0, size), got ${overlap}`);
  }

  const chunks: TextChunk[] = [];
  let start: Position = { cp: 0, u: 0 };
  while (start.u < text.length) {
    const limit: Position = { ...start };
    while (limit.cp - start.cp < size && limit.u < text.length) {
      limit.u = nextUnit(text, limit.u);
      limit.cp++;
    }
    const end = limit.u >= text.length ? limit : findCut(text, start, limit, size);
    chunks.push({ index: chunks.length, text: text.slice(start.u, end.u), char_start: start.cp, char_end: end.cp });
    if (end.u >= text.length) break;
    start = nextStart(text, start, end, overlap);
  }
  return chunks;
}
