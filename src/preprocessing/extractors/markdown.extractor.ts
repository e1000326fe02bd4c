import { Extraction, ExtractionInput, Extractor } from './extractor';
import { withinBudget } from './text-budget';
import { decodeOrFail } from './text-decoding';

export class MarkdownExtractor implements Extractor {
  readonly contentType = 'text/markdown';

  // Decoding never makes more UTF-16 units than there are bytes, so checking afterwards is enough.
  async extract({ bytes, maxTextChars }: ExtractionInput): Promise<Extraction> {
    const text = withinBudget(decodeOrFail(bytes), maxTextChars);
    return { text, title: findTitle(text) };
  }
}

const isLineEnd = (ch: string): boolean => ch === '\n' || ch === '\r' || ch === '\u2028' || ch === '\u2029';
const isBlank = (ch: string): boolean => ch === ' ' || ch === '\t';

/**
 * The text of the first ATX heading of level 1 or 2 ("# Title", "## Title ##") that has any, the
 * usual place of a Markdown document's title. A scan rather than a regular expression: a pattern
 * for the optional closing #s backtracks quadratically on lines like "# # # # …".
 */
function findTitle(text: string): string | undefined {
  for (let start = 0; start < text.length;) {
    let end = start;
    while (end < text.length && !isLineEnd(text[end])) end++;
    const title = headingText(text, start, end);
    if (title) return title;
    start = end + 1;
  }
  return undefined;
}

/** The content of the line text[start, end) if it is a level 1 or 2 ATX heading (CommonMark rules). */
function headingText(text: string, start: number, end: number): string | undefined {
  let i = start;
  // Up to three spaces of indentation; four make a code block.
  while (i < end && i - start < 3 && text[i] === ' ') i++;
  const hashes = i;
  while (i < end && text[i] === '#') i++;
  if (i - hashes < 1 || i - hashes > 2 || i === end || !isBlank(text[i])) return undefined;
  let last = end;
  while (last > i && isBlank(text[last - 1])) last--;
  // A closing run of #s counts only after a blank ("# C#" is about C#).
  let closing = last;
  while (closing > i && text[closing - 1] === '#') closing--;
  if (closing < last && isBlank(text[closing - 1])) last = closing;
  return text.slice(i, last).trim() || undefined;
}
