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
// A text file may carry stray control bytes (normalisation removes them); this many are tolerated
// whatever the sample's length, so a short file with one NUL is still text.
const STRAY_CONTROLS = 2;
// Above these shares of control bytes a sample is binary: a generous one for bytes that decode as a
// supported encoding, a strict one for bytes that do not (random bytes are about 11% controls,
// legacy-encoded text next to none).
const MAX_CONTROL_SHARE = 0.1;
const MAX_CONTROL_SHARE_UNDECODABLE = 0.02;

// Legacy decoders map almost any byte soup to *some* characters, so a CP949 result is only
// trusted when nearly all of it is Hangul, ASCII or common CJK punctuation.
const MIN_PLAUSIBLE_SHARE = 0.9;
const PLAUSIBLE_CHAR = /[\p{Script=Hangul}\x20-\x7E\t\n\r\u00B7\u3000-\u303F\uFF01-\uFF5E]/u;
// CP949 adds 8,822 rare syllables to EUC-KR's 2,350 common ones, in byte pairs that Shift_JIS (and
// Big5, Cyrillic…) text is made of too: Korean text uses few of them, such mojibake little else.
const MAX_EXTENSION_SHARE = 0.2;

// fatal: invalid input throws instead of becoming U+FFFD. ignoreBOM: the BOM is stripped here, by
// position, so a second one inside the text is left for normalisation like any other stray BOM.
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const utf16le = new TextDecoder('utf-16le', { fatal: true, ignoreBOM: true });

function hasUtf8Bom(bytes: Uint8Array): boolean {
  return bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf;
}

function hasUtf16Bom(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff));
}

const asBuffer = (bytes: Uint8Array): Buffer => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);

/** Control bytes other than the whitespace of text files (tab, LF, FF, CR) and ESC (ANSI colours in logs). */
function countControlBytes(sample: Uint8Array): number {
  let control = 0;
  for (const b of sample) {
    if ((b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0c && b !== 0x0d && b !== 0x1b) || b === 0x7f) control++;
  }
  return control;
}

/**
 * `truncated`: the bytes are the head of a longer file, so a character cut at their end is no error.
 * The streaming decoders hold such a tail back instead of failing on it.
 */
function isUtf8(bytes: Uint8Array, truncated: boolean): boolean {
  try {
    new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes, { stream: truncated });
    return true;
  } catch {
    return false;
  }
}

/** Share of the double-byte characters outside EUC-KR's rows (both bytes 0xA1-0xFE). */
function cp949ExtensionShare(bytes: Uint8Array): number {
  let pairs = 0;
  let extension = 0;
  for (let i = 0; i < bytes.length;) {
    const lead = bytes[i];
    if (lead < 0x80) {
      i++;
      continue;
    }
    const trail = bytes[i + 1];
    pairs++;
    if (lead < 0xa1 || trail < 0xa1 || trail > 0xfe) extension++;
    i += 2;
  }
  return pairs === 0 ? 0 : extension / pairs;
}

/** The CP949 reading of the bytes when it is plausible Korean text, else undefined. */
function decodeCp949(bytes: Uint8Array, truncated = false): string | undefined {
  if (cp949ExtensionShare(bytes) > MAX_EXTENSION_SHARE) return undefined;
  const text = truncated
    ? iconv.getDecoder('cp949').write(asBuffer(bytes))
    : iconv.decode(asBuffer(bytes), 'cp949', { stripBOM: false });
  return isPlausibleText(text) ? text : undefined;
}

/**
 * Whether the bytes look like something other than text. Controls decide, weighed by whether the
 * head decodes: text that decodes as UTF-8 or plausible CP949 may carry up to 10% controls (NUL
 * included; normalisation removes them), bytes no supported encoding reads at most 2% (a legacy
 * encoding we cannot tell, which extraction reports as ENCODING_UNKNOWN); up to 2 are always
 * tolerated. Only the first 8 KiB are read.
 */
export function looksBinary(bytes: Uint8Array): boolean {
  // UTF-16 text is full of NUL bytes by design; its decoding is checked when it is extracted.
  if (hasUtf16Bom(bytes)) return false;
  const sample = bytes.subarray(0, SNIFF_BYTES);
  const controls = countControlBytes(sample);
  if (controls <= STRAY_CONTROLS) return false;
  const share = controls / sample.length;
  if (share <= MAX_CONTROL_SHARE_UNDECODABLE) return false;
  if (share > MAX_CONTROL_SHARE) return true;
  const truncated = bytes.length > sample.length;
  return !(isUtf8(sample, truncated) || decodeCp949(sample, truncated) !== undefined);
}

function isPlausibleCode(c: number): boolean {
  // Fast paths for what nearly all Korean text is made of; the pattern decides the rest.
  if ((c >= 0x20 && c <= 0x7e) || (c >= 0xac00 && c <= 0xd7a3)) return true;
  if (c < 0x20) return c === 0x09 || c === 0x0a || c === 0x0d;
  return PLAUSIBLE_CHAR.test(String.fromCharCode(c));
}

/** One pass over UTF-16 units: CP949 decodes to the BMP only, so units are code points here. */
function isPlausibleText(text: string): boolean {
  let plausible = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0xfffd) return false;
    if (isPlausibleCode(c)) plausible++;
  }
  return text.length === 0 || plausible / text.length >= MIN_PLAUSIBLE_SHARE;
}

function decodeUtf16(body: Uint8Array, encoding: 'utf-16le' | 'utf-16be'): DecodedText {
  if (body.length % 2 !== 0) throw new TextDecodeError(`Input has a ${encoding} byte order mark but an odd length`);
  // Swapped on a copy: the caller's bytes stay as they were.
  const le = encoding === 'utf-16be' ? Buffer.from(body).swap16() : body;
  try {
    return { text: utf16le.decode(le), encoding };
  } catch {
    throw new TextDecodeError(`Input has a ${encoding} byte order mark but is not valid UTF-16 (unpaired surrogate)`);
  }
}

/**
 * Decodes text confidently or not at all: a BOM decides (UTF-8, UTF-16LE/BE), else valid UTF-8,
 * else CP949/EUC-KR when the result is plausible Korean text (mostly Hangul and ASCII, mostly
 * EUC-KR's syllables). Anything else throws TextDecodeError;
 * no decoding here ever yields U+FFFD for bytes it could not read.
 */
export function decodeText(bytes: Uint8Array): DecodedText {
  if (hasUtf8Bom(bytes)) {
    try {
      return { text: utf8.decode(bytes.subarray(3)), encoding: 'utf-8' };
    } catch {
      throw new TextDecodeError('Input has a UTF-8 byte order mark but is not valid UTF-8');
    }
  }
  if (bytes.length >= 2 && bytes[0] === 0xff && bytes[1] === 0xfe) return decodeUtf16(bytes.subarray(2), 'utf-16le');
  if (bytes.length >= 2 && bytes[0] === 0xfe && bytes[1] === 0xff) return decodeUtf16(bytes.subarray(2), 'utf-16be');

  try {
    return { text: utf8.decode(bytes), encoding: 'utf-8' };
  } catch {
    // Not UTF-8: Korean legacy files are the only other encoding we try to recover.
  }

  const legacy = decodeCp949(bytes);
  if (legacy !== undefined) return { text: legacy, encoding: 'cp949' };

  throw new TextDecodeError(
    'Unable to decode text: it is neither valid UTF-8/UTF-16 (with BOM) nor plausible CP949/EUC-KR',
  );
}
