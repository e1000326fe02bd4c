import { compile, DomNode, FormatCallback, HtmlToTextOptions } from 'html-to-text';
import { Parser } from 'htmlparser2';
import * as iconv from 'iconv-lite';
import { randomBytes } from 'node:crypto';
import { PreprocessingError } from '../errors/preprocessing.error';
import { DecodedText, decodeText, TextDecodeError } from '../text';
import { Extraction, ExtractionInput, Extractor, fromSegments, Segment } from './extractor';
import { headingLabel } from './markdown.extractor';
import { TextBudget, withinBudget } from './text-budget';
import { decodeOrFail } from './text-decoding';

// Elements whose content is not part of the readable text.
const SKIPPED = ['head', 'title', 'script', 'style', 'template', 'noscript', 'svg', 'iframe', 'object', 'img'];

// html-to-text walks the tree recursively, several stack frames per element, and overflows a
// default (1 MB) stack somewhere between 2,000 and 6,000 levels depending on the elements; real
// pages stay far below this. Deeper pages are refused (CORRUPT_FILE), not cut.
const MAX_DEPTH = 512;

const CELL_SEPARATOR = ' | ';

/** What the formatters of one conversion share (html-to-text passes it as `builder.metadata`). */
interface Conversion {
  tableText: TextBudget;
  openTables: number;
  openLists: number;
  openHeadings: number;
  /**
   * Written into the text where a section starts (its heading's line), then cut out again: NULs
   * around a random nonce, which no page can know in advance.
   */
  marker: string;
  /** The headings open at each point, outermost first, as {level, label}. */
  open: { level: number; label: string }[];
  /** The heading path of each section, in the order of the markers. */
  paths: string[][];
}

type BlockTextBuilder = Parameters<FormatCallback>[2];

// Documented (html-to-text README, "Custom metadata") but missing from @types/html-to-text.
const conversionOf = (builder: BlockTextBuilder): Conversion =>
  (builder as unknown as { metadata: Conversion }).metadata;

/**
 * A table as one line per row, its cells in reading order joined by " | ", without the padding of
 * html-to-text's dataTable format, which widens every cell to its column's widest and so makes
 * rows × widest cell out of a small file. A caption is a row of its own.
 */
const formatTable: FormatCallback = (elem, walk, builder, formatOptions) => {
  const conversion = conversionOf(builder);
  const cell = (node: DomNode): void => {
    builder.openTableCell();
    walk(node.children, builder);
    builder.closeTableCell();
  };
  const part = (node: DomNode): void => {
    if (node.type !== 'tag') return;
    if (node.name === 'thead' || node.name === 'tbody' || node.name === 'tfoot') {
      node.children.forEach(part);
    } else if (node.name === 'tr' || node.name === 'caption') {
      builder.openTableRow();
      if (node.name === 'caption') cell(node);
      else for (const child of node.children) if (child.name === 'td' || child.name === 'th') cell(child);
      builder.closeTableRow();
    }
  };

  conversion.openTables++;
  builder.openTable();
  elem.children.forEach(part);
  builder.closeTable({
    tableToString: (rows) => {
      // A cell's own line breaks (<br>, blocks, a nested table) would split its row.
      const kept = rows
        .map((row) => row.map((c) => c.text.replace(/\n+/g, ' ')))
        .filter((cells) => cells.some((text) => text !== ''));
      // Only outermost tables count: a nested table's text is part of its parent's cells.
      if (conversion.openTables === 1) conversion.tableText.spend(tableLength(kept));
      return kept.map((cells) => cells.join(CELL_SEPARATOR)).join('\n');
    },
    leadingLineBreaks: formatOptions.leadingLineBreaks,
    trailingLineBreaks: formatOptions.trailingLineBreaks,
  });
  conversion.openTables--;
};

function tableLength(rows: string[][]): number {
  let length = Math.max(rows.length - 1, 0);
  for (const cells of rows) {
    length += CELL_SEPARATOR.length * (cells.length - 1);
    for (const text of cells) length += text.length;
  }
  return length;
}

/**
 * A list as one line per item ("- " or "1. "), without html-to-text's list format, which indents
 * each line of an item by its prefix, and a nested list's lines by every prefix above them
 * (quadratic in the nesting); the numbering is always decimal (a roman start="1000000000" is a
 * million characters).
 */
const formatList: FormatCallback = (elem, walk, builder, formatOptions) => {
  const ordered = elem.name === 'ol';
  const attribs = elem.attribs as Record<string, string> | undefined;
  const start = Number.parseInt(attribs?.start ?? '', 10);
  let number = Number.isSafeInteger(start) ? start : 1;
  const nested = elem.parent?.name === 'li';
  conversionOf(builder).openLists++;
  builder.openBlock({ leadingLineBreaks: nested ? 1 : formatOptions.leadingLineBreaks });
  for (const child of elem.children) {
    if (child.type === 'tag' && child.name === 'li') {
      builder.openBlock({ leadingLineBreaks: 1 });
      builder.addLiteral(ordered ? `${number++}. ` : '- ');
      walk(child.children, builder);
      builder.closeBlock({ trailingLineBreaks: 1 });
    } else {
      walk([child], builder);
    }
  }
  builder.closeBlock({ trailingLineBreaks: nested ? 1 : formatOptions.trailingLineBreaks });
  conversionOf(builder).openLists--;
};

const HEADING_LEVEL: Record<string, number> = { h1: 1, h2: 2, h3: 3, h4: 4, h5: 5, h6: 6 };

/**
 * A heading (uppercase: false, html-to-text's line breaks) that starts a section: its path is
 * recorded and a marker written where its line begins. A heading inside a table, a list or another
 * heading stays inline text of its row, item or heading and starts no section (it would split a
 * row); so does a heading without text.
 */
const formatHeading: FormatCallback = (elem, walk, builder, formatOptions) => {
  const conversion = conversionOf(builder);
  const level = HEADING_LEVEL[elem.name ?? ''] ?? 6;
  const label =
    conversion.openTables === 0 && conversion.openLists === 0 && conversion.openHeadings === 0
      ? headingLabel(textOf(elem))
      : '';
  builder.openBlock({ leadingLineBreaks: formatOptions.leadingLineBreaks || 2 });
  if (label) {
    const open = conversion.open;
    while (open.length > 0 && open[open.length - 1].level >= level) open.pop();
    open.push({ level, label });
    conversion.paths.push(open.map((h) => h.label));
    builder.addLiteral(conversion.marker);
  }
  conversion.openHeadings++;
  walk(elem.children, builder);
  conversion.openHeadings--;
  builder.closeBlock({ trailingLineBreaks: formatOptions.trailingLineBreaks || 2 });
};

/**
 * The text content of an element, skipped elements left out. Iterative; only outermost headings
 * ask, so no node is read twice.
 */
function textOf(elem: DomNode): string {
  let text = '';
  const stack: DomNode[] = [...(elem.children ?? [])].reverse();
  while (stack.length > 0) {
    const node = stack.pop()!;
    if (node.type === 'text') text += node.data ?? '';
    else if (node.children && !SKIPPED.includes(node.name ?? '')) {
      for (let i = node.children.length - 1; i >= 0; i--) stack.push(node.children[i]);
    }
  }
  return text;
}

const TO_TEXT_OPTIONS: HtmlToTextOptions = {
  wordwrap: false,
  // Input size is bounded by MAX_SOURCE_BYTES before extraction; html-to-text's own default (16 Mi
  // characters) would silently cut the text instead.
  limits: { maxInputLength: Number.MAX_SAFE_INTEGER },
  formatters: { readingOrderTable: formatTable, flatList: formatList, sectionHeading: formatHeading },
  selectors: [
    ...SKIPPED.map((selector) => ({ selector, format: 'skip' })),
    { selector: 'a', options: { ignoreHref: true } },
    ...Object.keys(HEADING_LEVEL).map((selector) => ({
      selector,
      format: 'sectionHeading',
      options: { uppercase: false },
    })),
    { selector: 'table', format: 'readingOrderTable' },
    { selector: 'ul', format: 'flatList' },
    { selector: 'ol', format: 'flatList' },
    // The other formats that repeat characters: "> " before every line of every nesting level, and
    // a 40-character rule for a 4-byte <hr>.
    { selector: 'blockquote', format: 'block', options: { leadingLineBreaks: 2, trailingLineBreaks: 2 } },
    { selector: 'hr', format: 'block', options: { leadingLineBreaks: 2, trailingLineBreaks: 2 } },
  ],
};

// Compiled once: the selectors become a decision tree, the same for every page. The second argument
// is the metadata the formatters read (typed in html-to-text's README, not in @types/html-to-text).
const toText = compile(TO_TEXT_OPTIONS) as unknown as (html: string, conversion: Conversion) => string;

// The HTML standard looks for a <meta charset> in the first 1024 bytes.
const CHARSET_SNIFF_BYTES = 1024;

/**
 * Readable text of an HTML page (scripts, styles and markup dropped) in segments split at its
 * headings (h1-h6): each section, heading line included, carries the headings above it, outermost
 * first (SPEC §8.6). Title from <title>, else the first <h1>. Apart from list prefixes and cell
 * separators the text is no longer than the page's own text; tables are still counted against the
 * budget as they are built, and the whole at the end.
 */
export class HtmlExtractor implements Extractor {
  readonly contentType = 'text/html';

  async extract({ bytes, maxTextChars }: ExtractionInput): Promise<Extraction> {
    const { text: html, encoding } = decodeHtml(bytes);
    return { ...htmlToSegments(html, maxTextChars), encoding };
  }
}

/**
 * HTML (a page, or mammoth's rendering of a DOCX) to text in sections (`fromSegments`, budget
 * checked) and its title (<title>, else the first <h1>). Refuses (CORRUPT_FILE) HTML nested deeper
 * than MAX_DEPTH, before html-to-text recurses into it.
 */
export function htmlToSegments(html: string, maxTextChars: number): Pick<Extraction, 'text' | 'segments' | 'title'> {
  const title = scan(html);
  const conversion: Conversion = {
    tableText: new TextBudget(maxTextChars),
    openTables: 0,
    openLists: 0,
    openHeadings: 0,
    marker: `\u0000${randomBytes(12).toString('hex')}\u0000`,
    open: [],
    paths: [],
  };
  const text = withinBudget(toText(html, conversion), maxTextChars);
  const segments: Segment[] = [];
  let from = 0;
  let path: string[] = [];
  for (const next of conversion.paths) {
    const at = text.indexOf(conversion.marker, from);
    // Every marker written is in the text, once; a missing one would only merge two sections.
    if (at < 0) break;
    segments.push({ text: text.slice(from, at).trim(), headingPath: path });
    from = at + conversion.marker.length;
    path = next;
  }
  segments.push({ text: text.slice(from).trim(), headingPath: path });
  const structured = fromSegments(segments);
  return { text: withinBudget(structured.text, maxTextChars), segments: structured.segments, title };
}

/**
 * One streaming pass (no tree, no recursion) that refuses a page nested deeper than MAX_DEPTH before
 * html-to-text recurses into it, and finds the title: the first <title>'s text, else the first <h1>'s.
 */
function scan(html: string): string | undefined {
  let depth = 0;
  // Text collected for the first <title> and the first <h1>; `undefined` until that element opens.
  let title: string | undefined;
  let heading: string | undefined;
  let titleDepth = 0;
  let headingDepth = 0;
  const parser = new Parser({
    onopentag(name) {
      if (++depth > MAX_DEPTH) {
        throw new PreprocessingError('CORRUPT_FILE', `HTML nested deeper than ${MAX_DEPTH} elements`);
      }
      if (name === 'title' && title === undefined) [title, titleDepth] = ['', depth];
      if (name === 'h1' && heading === undefined) [heading, headingDepth] = ['', depth];
    },
    onclosetag() {
      if (depth === titleDepth) titleDepth = 0;
      if (depth === headingDepth) headingDepth = 0;
      depth--;
    },
    ontext(text) {
      if (titleDepth) title += text;
      if (headingDepth) heading += text;
    },
  });
  parser.end(html);
  for (const candidate of [title, heading]) {
    const tidied = candidate?.replace(/\s+/g, ' ').trim();
    if (tidied) return tidied;
  }
  return undefined;
}

// Labels of Korean legacy encodings (WHATWG and iconv names): the bytes tell EUC-KR from CP949 better.
const KOREAN_CHARSETS =
  /^(euc-?kr|cp-?949|(x-)?windows-949|ms949|uhc|ks_c_5601(-1987|-1989)?|ksc_?5601|korean|csksc56011987|csueckr|iso-ir-149)$/i;

/**
 * A BOM, BOM-less UTF-16 or valid UTF-8 decides (decodeText); otherwise a charset the page declares
 * in a <meta> beats the Korean guess, since a legacy page usually says what it is (and so a page
 * declaring Shift_JIS, GB18030 or windows-1252 is read, reported under the declared name, lower
 * case). A Korean declaration defers to the bytes, which tell EUC-KR from CP949. A declared charset
 * that leaves bytes it cannot map (U+FFFD) is not trusted either: no guess at all then is
 * ENCODING_UNKNOWN.
 */
function decodeHtml(bytes: Buffer): { text: string; encoding: string } {
  let decoded: DecodedText | undefined;
  try {
    decoded = decodeText(bytes);
  } catch (e) {
    if (!(e instanceof TextDecodeError)) throw e;
  }
  const korean = decoded?.encoding === 'cp949' || decoded?.encoding === 'euc-kr';
  if (decoded && !korean) return decoded;
  const declared = declaredCharset(bytes);
  if (declared && !/^utf-?(8|16)/i.test(declared) && iconv.encodingExists(declared)) {
    if (decoded && KOREAN_CHARSETS.test(declared)) return decoded;
    const text = iconv.decode(bytes, declared);
    if (!text.includes('\uFFFD')) return { text, encoding: declared.toLowerCase() };
  }
  return decoded ?? decodeOrFail(bytes);
}

/** The charset of `<meta charset>` or `<meta http-equiv="Content-Type" content="…; charset=…">`. */
function declaredCharset(bytes: Buffer): string | undefined {
  let charset: string | undefined;
  const parser = new Parser({
    onopentag(name, attribs) {
      if (charset || name !== 'meta') return;
      if (attribs.charset) charset = attribs.charset.trim();
      else if (attribs['http-equiv']?.toLowerCase() === 'content-type' && attribs.content) {
        charset = /charset\s*=\s*["']?([^\s;"']+)/i.exec(attribs.content)?.[1];
      }
    },
  });
  // Latin-1 maps every byte to one character, so the ASCII markup reads the same in any charset.
  // The sniff window also bounds the attribute the pattern above reads.
  parser.end(bytes.subarray(0, CHARSET_SNIFF_BYTES).toString('latin1'));
  return charset || undefined;
}
