import { Extraction, ExtractionInput, Extractor, fromSegments, Segment } from './extractor';
import { withinBudget } from './text-budget';
import { decodeOrFail } from './text-decoding';

/**
 * A heading in a heading path is cut to this many UTF-16 units (and "…"): every chunk of its section
 * repeats the path, so a megabyte-long heading must not be copied into every chunk.
 */
export const MAX_HEADING_CHARS = 200;

/**
 * Markdown as written (markup kept), in segments split at its headings: each section, heading line
 * included, carries the headings above it, outermost first (SPEC §8.6). Headings are CommonMark's
 * ATX ("## Title", closing #s dropped) and setext (a paragraph underlined with === or ---) ones;
 * lines inside fenced code blocks are never headings. Title: the first level 1 or 2 heading.
 */
export class MarkdownExtractor implements Extractor {
  readonly contentType = 'text/markdown';

  // Decoding never makes more UTF-16 units than there are bytes, so checking afterwards is enough;
  // the sections add at most one line break per heading, checked again once joined.
  async extract({ bytes, maxTextChars }: ExtractionInput): Promise<Extraction> {
    const { text: decoded, encoding } = decodeOrFail(bytes);
    const text = withinBudget(decoded, maxTextChars);
    const { segments, title } = sections(text);
    const structured = fromSegments(segments);
    return { text: withinBudget(structured.text, maxTextChars), segments: structured.segments, title, encoding };
  }
}

const isLineEnd = (ch: string): boolean => ch === '\n' || ch === '\r' || ch === '\u2028' || ch === '\u2029';
const isBlank = (ch: string): boolean => ch === ' ' || ch === '\t';

interface Heading {
  level: number;
  /** The heading's content; '' for an empty heading ("#"), which is not a section. */
  text: string;
}

/** One linear pass over the lines: where each section starts, its heading path, and the title. */
function sections(text: string): { segments: Segment[]; title?: string } {
  const starts: { at: number; path: string[] }[] = [{ at: 0, path: [] }];
  const open: { level: number; label: string }[] = [];
  let title: string | undefined;
  let fence: { char: string; length: number } | undefined;
  // Where the paragraph the current line continues began (-1: none), for setext headings.
  let paragraphStart = -1;
  let paragraphEnd = -1;

  const addHeading = (at: number, heading: Heading): void => {
    if (!heading.text) return;
    if (title === undefined && heading.level <= 2) title = heading.text;
    while (open.length > 0 && open[open.length - 1].level >= heading.level) open.pop();
    open.push({ level: heading.level, label: headingLabel(heading.text) });
    starts.push({ at, path: open.map((h) => h.label) });
  };

  for (let start = 0; start < text.length;) {
    let end = start;
    while (end < text.length && !isLineEnd(text[end])) end++;
    const next = text[end] === '\r' && text[end + 1] === '\n' ? end + 2 : end + 1;

    if (fence) {
      if (closesFence(text, start, end, fence)) fence = undefined;
    } else {
      const opened = opensFence(text, start, end);
      const atx = opened ? undefined : atxHeading(text, start, end);
      const underline = opened || atx || paragraphStart < 0 ? undefined : setextLevel(text, start, end);
      if (opened) {
        fence = opened;
        paragraphStart = -1;
      } else if (atx) {
        addHeading(start, atx);
        paragraphStart = -1;
      } else if (underline) {
        addHeading(paragraphStart, {
          level: underline,
          text: text.slice(paragraphStart, paragraphEnd).replace(/\s+/g, ' ').trim(),
        });
        paragraphStart = -1;
      } else if (isParagraphLine(text, start, end, paragraphStart >= 0)) {
        if (paragraphStart < 0) paragraphStart = start;
        paragraphEnd = end;
      } else {
        paragraphStart = -1;
      }
    }
    start = next;
  }

  const segments: Segment[] = starts.map((s, i) => {
    const end = i + 1 < starts.length ? starts[i + 1].at : text.length;
    return { text: text.slice(s.at, end).trimEnd(), headingPath: s.path };
  });
  return { segments, title };
}

/** Leading spaces of the line (up to `max` + 1, enough to tell "at most max" apart). */
function indentOf(text: string, start: number, end: number, max = 3): number {
  let i = start;
  while (i < end && i - start <= max && text[i] === ' ') i++;
  return i - start;
}

/** The line [start, end) as an ATX heading (CommonMark: up to three spaces, 1-6 #s, a blank or the end). */
function atxHeading(text: string, start: number, end: number): Heading | undefined {
  const indent = indentOf(text, start, end);
  if (indent > 3) return undefined;
  let i = start + indent;
  const hashes = i;
  while (i < end && text[i] === '#') i++;
  const level = i - hashes;
  if (level < 1 || level > 6 || (i < end && !isBlank(text[i]))) return undefined;
  // A scan rather than a regular expression: a pattern for the optional closing #s backtracks
  // quadratically on lines like "# # # # …".
  let last = end;
  while (last > i && isBlank(text[last - 1])) last--;
  // A closing run of #s counts only after a blank ("# C#" is about C#).
  let closing = last;
  while (closing > i && text[closing - 1] === '#') closing--;
  if (closing < last && (closing === i || isBlank(text[closing - 1]))) last = closing;
  return { level, text: text.slice(i, last).trim() };
}

/** The level of a setext underline (=== is 1, --- is 2), if the line is one. */
function setextLevel(text: string, start: number, end: number): number | undefined {
  const indent = indentOf(text, start, end);
  if (indent > 3) return undefined;
  let i = start + indent;
  const char = text[i];
  if (char !== '=' && char !== '-') return undefined;
  while (i < end && text[i] === char) i++;
  while (i < end && isBlank(text[i])) i++;
  return i === end ? (char === '=' ? 1 : 2) : undefined;
}

/** A fence of three or more ` or ~ (a backtick fence's info string has no backtick). */
function opensFence(text: string, start: number, end: number): { char: string; length: number } | undefined {
  const indent = indentOf(text, start, end);
  if (indent > 3) return undefined;
  let i = start + indent;
  const char = text[i];
  if (char !== '`' && char !== '~') return undefined;
  while (i < end && text[i] === char) i++;
  const length = i - start - indent;
  if (length < 3) return undefined;
  if (char === '`') for (; i < end; i++) if (text[i] === '`') return undefined;
  return { char, length };
}

function closesFence(text: string, start: number, end: number, fence: { char: string; length: number }): boolean {
  const indent = indentOf(text, start, end);
  if (indent > 3) return false;
  let i = start + indent;
  while (i < end && text[i] === fence.char) i++;
  if (i - start - indent < fence.length) return false;
  while (i < end && isBlank(text[i])) i++;
  return i === end;
}

/**
 * Whether the line can be (part of) a paragraph that a setext underline makes a heading: not blank,
 * not a list item, quote, thematic break or (outside a paragraph) indented code.
 */
function isParagraphLine(text: string, start: number, end: number, continuing: boolean): boolean {
  const indent = indentOf(text, start, end);
  let i = start + indent;
  while (i < end && isBlank(text[i])) i++;
  if (i === end) return false;
  if (indent > 3) return continuing;
  const ch = text[start + indent];
  if (ch === '>') return false;
  const after = text[start + indent + 1];
  if ((ch === '-' || ch === '*' || ch === '+') && (after === undefined || start + indent + 1 === end || isBlank(after)))
    return false;
  if (ch === '*' || ch === '_' || ch === '-') {
    // A thematic break: three or more of one of these, blanks between allowed, nothing else.
    let marks = 0;
    let j = start + indent;
    for (; j < end; j++) {
      if (text[j] === ch) marks++;
      else if (!isBlank(text[j])) break;
    }
    if (j === end && marks >= 3) return false;
  }
  let d = start + indent;
  while (d < end && d - start - indent < 10 && text[d] >= '0' && text[d] <= '9') d++;
  if (d > start + indent && (text[d] === '.' || text[d] === ')') && (d + 1 === end || isBlank(text[d + 1])))
    return false;
  return true;
}

/** A heading as its path shows it: whitespace collapsed, cut to MAX_HEADING_CHARS. */
export function headingLabel(heading: string): string {
  const label = heading.replace(/\s+/g, ' ').trim();
  if (label.length <= MAX_HEADING_CHARS) return label;
  let cut = MAX_HEADING_CHARS;
  // Never half a surrogate pair.
  const c = label.charCodeAt(cut - 1);
  if (c >= 0xd800 && c <= 0xdbff) cut--;
  return `${label.slice(0, cut)}…`;
}
