import { DomUtils, Parser, parseDocument } from 'htmlparser2';
import { convert, HtmlToTextOptions } from 'html-to-text';
import * as iconv from 'iconv-lite';
import { DecodedText, decodeText, TextDecodeError } from '../text';
import { Extraction, ExtractionInput, Extractor } from './extractor';
import { decodeOrFail } from './text-decoding';

// Elements whose content is not part of the readable text.
const SKIPPED = ['head', 'title', 'script', 'style', 'template', 'noscript', 'svg', 'iframe', 'object', 'img'];

const TO_TEXT_OPTIONS: HtmlToTextOptions = {
  wordwrap: false,
  // Input size is bounded by MAX_SOURCE_BYTES before extraction; html-to-text's own default (16 Mi
  // characters) would silently cut the text instead.
  limits: { maxInputLength: Number.MAX_SAFE_INTEGER },
  selectors: [
    ...SKIPPED.map((selector) => ({ selector, format: 'skip' })),
    { selector: 'a', options: { ignoreHref: true } },
    ...['h1', 'h2', 'h3', 'h4', 'h5', 'h6'].map((selector) => ({ selector, options: { uppercase: false } })),
    // Cells side by side, one row a line (the default block format runs the cells together).
    { selector: 'table', format: 'dataTable', options: { uppercaseHeaderCells: false, maxColumnWidth: 10_000 } },
  ],
};

// The HTML standard looks for a <meta charset> in the first 1024 bytes.
const CHARSET_SNIFF_BYTES = 1024;

/** Readable text of an HTML page (scripts, styles and markup dropped); title from <title>, else the first <h1>. */
export class HtmlExtractor implements Extractor {
  readonly contentType = 'text/html';

  async extract({ bytes }: ExtractionInput): Promise<Extraction> {
    const html = decodeHtml(bytes);
    const text = convert(html, TO_TEXT_OPTIONS);
    return { text, title: findTitle(html) };
  }
}

/**
 * A BOM or valid UTF-8 decides; otherwise a charset the page declares in a <meta> beats the CP949
 * guess, since a legacy page usually says what it is.
 */
function decodeHtml(bytes: Buffer): string {
  let decoded: DecodedText | undefined;
  try {
    decoded = decodeText(bytes);
  } catch (e) {
    if (!(e instanceof TextDecodeError)) throw e;
  }
  if (decoded && decoded.encoding !== 'cp949') return decoded.text;
  const declared = declaredCharset(bytes);
  if (declared && !/^utf-?(8|16)/i.test(declared) && iconv.encodingExists(declared)) {
    return iconv.decode(bytes, declared);
  }
  return decoded?.text ?? decodeOrFail(bytes);
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
  parser.end(bytes.subarray(0, CHARSET_SNIFF_BYTES).toString('latin1'));
  return charset || undefined;
}

function findTitle(html: string): string | undefined {
  const doc = parseDocument(html);
  for (const tag of ['title', 'h1']) {
    const el = DomUtils.findOne((e) => e.name === tag, doc.children, true);
    const title = el ? DomUtils.textContent(el).replace(/\s+/g, ' ').trim() : '';
    if (title) return title;
  }
  return undefined;
}
