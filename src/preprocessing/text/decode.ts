import * as iconv from 'iconv-lite';

export type TextEncodingName = 'utf-8' | 'utf-16le' | 'utf-16be' | 'cp949';

export interface DecodedText {
  text: string;
  encoding: TextEncodingName;
}

export class TextDecodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TextDecodeError';
  }
}

const SNIFF_BYTES = 8 * 1024;
const MAX_CONTROL_SHARE = 0.1;
// Legacy decoders map almost any byte soup to *some* characters, so a CP949 result is only
// trusted when nearly all of it is Hangul, ASCII or common CJK punctuation.
const MIN_PLAUSIBLE_SHARE = 0.9;
const PLAUSIBLE_CHAR = /[\p{Script=Hangul}\x20-\x7E\t\n\r\u00B7\u3000-\u303F\uFF01-\uFF5E]/u;

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function hasUtf16Bom(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff));
}

export function looksBinary(bytes: Uint8Array): boolean {
  // UTF-16 text is full of NUL bytes by design.
  if (hasUtf16Bom(bytes)) return false;
  const sample = bytes.subarray(0, SNIFF_BYTES);
  if (sample.length === 0) return false;
  let control = 0;
  for (const b of sample) {
    if (b === 0) return true;
    // Tab, LF, FF, CR and ESC (ANSI colour codes in logs) occur in genuine text files.
    if ((b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0c && b !== 0x0d && b !== 0x1b) || b === 0x7f) control++;
  }
  return control / sample.length > MAX_CONTROL_SHARE;
}

function isPlausibleText(text: string): boolean {
  if (text.includes('\uFFFD')) return false;
  let total = 0;
  let plausible = 0;
  for (const ch of text) {
    total++;
    if (PLAUSIBLE_CHAR.test(ch)) plausible++;
  }
  return total === 0 || plausible / total >= MIN_PLAUSIBLE_SHARE;
}

export function decodeText(bytes: Uint8Array): DecodedText {
  if (bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) {
    try {
      return { text: utf8.decode(bytes.subarray(3)), encoding: 'utf-8' };
    } catch {
      throw new TextDecodeError('Input has a UTF-8 byte order mark but is not valid UTF-8');
    }
  }
  if (bytes.length >= 2 && bytes[0] === 0xff && bytes[1] === 0xfe) {
    return { text: iconv.decode(Buffer.from(bytes.subarray(2)), 'utf-16le', { stripBOM: false }), encoding: 'utf-16le' };
  }
  if (bytes.length >= 2 && bytes[0] === 0xfe && bytes[1] === 0xff) {
    return { text: iconv.decode(Buffer.from(bytes.subarray(2)), 'utf-16be', { stripBOM: false }), encoding: 'utf-16be' };
  }

  try {
    return { text: utf8.decode(bytes), encoding: 'utf-8' };
  } catch {
    // Not UTF-8: Korean legacy files are the only other encoding we try to recover.
  }

  const legacy = iconv.decode(Buffer.from(bytes), 'cp949', { stripBOM: false });
  if (isPlausibleText(legacy)) return { text: legacy, encoding: 'cp949' };

  throw new TextDecodeError('Unable to decode text: it is neither valid UTF-8/UTF-16 (with BOM) nor plausible CP949/EUC-KR');
}
