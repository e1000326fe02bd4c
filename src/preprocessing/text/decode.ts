import * as iconv from 'iconv-lite';

/**
 * How text was decoded. Which one is decided by evidence, never by trying until something decodes:
 *
 * 1. A byte order mark: EF BB BF is UTF-8, FF FE UTF-16LE, FE FF UTF-16BE (the BOM is dropped).
 * 2. UTF-16 without a BOM, by its NUL bytes: the ASCII characters every text has (spaces, line ends,
 *    digits, punctuation) leave a 00 byte on one side of their unit, the high one — odd offsets for
 *    UTF-16LE, even ones for UTF-16BE. At least 2 such NULs and 1 unit in 16, with at most a quarter
 *    as many on the other side, decide the byte order; the file must then be valid UTF-16 (even
 *    length, no unpaired surrogate) of almost no control characters. UTF-16 without a BOM and
 *    without that many ASCII characters (a page of Hangul with no space or line break) cannot be
 *    told from CP949 and is ENCODING_UNKNOWN.
 * 3. Valid UTF-8 (checked strictly: the chance that legacy double-byte text is valid UTF-8 falls
 *    off exponentially with its length).
 * 4. Korean legacy text, read as CP949 (a superset of EUC-KR) when the reading is plausible: nearly
 *    all Hangul, ASCII and CJK punctuation, and at most a fifth of its double-byte characters from
 *    CP949's extension (Shift_JIS kana, Big5 and the like read as such rare syllables). It is
 *    reported as `euc-kr` when every double-byte character lies inside KS X 1001 (lead and trail
 *    bytes both A1-FE), as `cp949` when any uses CP949's extension (lead 81-A0 or trail 41-A0:
 *    똠, 펲, …), since only a CP949 decoder reads the latter.
 * 5. Anything else is refused (TextDecodeError, ENCODING_UNKNOWN in the pipeline) rather than
 *    decoded to U+FFFD soup. That includes, by decision, Shift_JIS, GB18030/GBK/Big5 and the
 *    single-byte Latin-1/Windows-1252: without a BOM or a declared charset their bytes are also
 *    plausible in each other's (and in CP949's) tables, and every byte string is valid Latin-1, so
 *    guessing them would turn some Korean or Chinese files into confident mojibake. (An HTML page
 *    that declares its charset in a <meta> is read in that charset; see html.extractor.ts.)
 */
export type TextEncodingName = 'utf-8' | 'utf-16le' | 'utf-16be' | 'cp949' | 'euc-kr';

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

/** Double-byte characters of the bytes read as CP949, and how many lie outside KS X 1001 (EUC-KR). */
function cp949Pairs(bytes: Uint8Array): { pairs: number; extension: number } {
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
  return { pairs, extension };
}

/** The Korean legacy reading of the bytes when it is plausible Korean text, else undefined. */
function decodeKorean(bytes: Uint8Array, truncated = false): DecodedText | undefined {
  const { pairs, extension } = cp949Pairs(bytes);
  if (pairs > 0 && extension / pairs > MAX_EXTENSION_SHARE) return undefined;
  const text = truncated
    ? iconv.getDecoder('cp949').write(asBuffer(bytes))
    : iconv.decode(asBuffer(bytes), 'cp949', { stripBOM: false });
  if (!isPlausibleText(text)) return undefined;
  return { text, encoding: extension === 0 ? 'euc-kr' : 'cp949' };
}

// UTF-16 without a BOM: NULs on the high-byte side of at least 1 unit in 16 (and 2 in all), at most
// a quarter as many on the other side (Hangul and CJK characters have a 00 low byte now and then).
const MIN_UTF16_NUL_SHARE = 1 / 16;
const MIN_UTF16_NULS = 2;
const MAX_UTF16_OTHER_SIDE = 0.25;

/** The byte order the NUL bytes of BOM-less UTF-16 text point to, if they point to one. */
function utf16ByteOrder(bytes: Uint8Array): 'utf-16le' | 'utf-16be' | undefined {
  const units = bytes.length >> 1;
  let evenNuls = 0;
  let oddNuls = 0;
  for (let i = 0; i + 1 < bytes.length; i += 2) {
    if (bytes[i] === 0) evenNuls++;
    if (bytes[i + 1] === 0) oddNuls++;
  }
  const [high, low, order] =
    oddNuls >= evenNuls ? [oddNuls, evenNuls, 'utf-16le' as const] : [evenNuls, oddNuls, 'utf-16be' as const];
  if (high < MIN_UTF16_NULS || high < units * MIN_UTF16_NUL_SHARE || low > high * MAX_UTF16_OTHER_SIDE)
    return undefined;
  return order;
}

/**
 * BOM-less UTF-16 (see TextEncodingName), or undefined when the NULs do not point to it or the bytes
 * are not valid, plausible UTF-16 in the byte order they point to. `truncated`: the bytes are the
 * head of a longer file, so an odd length or a surrogate pair cut at the end is no error.
 */
function decodeUtf16WithoutBom(bytes: Uint8Array, truncated = false): DecodedText | undefined {
  if (bytes.length === 0 || (!truncated && bytes.length % 2 !== 0)) return undefined;
  const encoding = utf16ByteOrder(bytes);
  if (!encoding) return undefined;
  const even = bytes.subarray(0, bytes.length & ~1);
  const le = encoding === 'utf-16be' ? Buffer.from(even).swap16() : even;
  let text: string;
  try {
    text = new TextDecoder('utf-16le', { fatal: true, ignoreBOM: true }).decode(le, { stream: truncated });
  } catch {
    return undefined;
  }
  return hasFewControls(text) ? { text, encoding } : undefined;
}

/** Whether at most 2% of the characters (or STRAY_CONTROLS) are controls other than text whitespace and ESC. */
function hasFewControls(text: string): boolean {
  let controls = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const control =
      (c < 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0c && c !== 0x0d && c !== 0x1b) ||
      (c >= 0x7f && c <= 0x9f) ||
      c === 0xfffe ||
      c === 0xffff;
    if (control) controls++;
  }
  return controls <= STRAY_CONTROLS || controls / text.length <= MAX_CONTROL_SHARE_UNDECODABLE;
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
  const truncated = bytes.length > sample.length;
  if (decodeUtf16WithoutBom(sample, truncated) !== undefined) return false;
  const controls = countControlBytes(sample);
  if (controls <= STRAY_CONTROLS) return false;
  const share = controls / sample.length;
  if (share <= MAX_CONTROL_SHARE_UNDECODABLE) return false;
  if (share > MAX_CONTROL_SHARE) return true;
  return !(isUtf8(sample, truncated) || decodeKorean(sample, truncated) !== undefined);
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
 * Decodes text confidently or not at all, in the order of evidence TextEncodingName describes: a
 * BOM, the NUL bytes of BOM-less UTF-16, valid UTF-8, plausible Korean (EUC-KR, or CP949 when its
 * extension is used). Anything else throws TextDecodeError; no decoding here ever yields U+FFFD for
 * bytes it could not read.
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

  // Before UTF-8: UTF-16 of ASCII characters is valid UTF-8 too (NUL is a character there).
  const utf16 = decodeUtf16WithoutBom(bytes);
  if (utf16) return utf16;

  try {
    return { text: utf8.decode(bytes), encoding: 'utf-8' };
  } catch {
    // Not UTF-8: Korean legacy files are the only other encoding we try to recover.
  }

  const korean = decodeKorean(bytes);
  if (korean) return korean;

  throw new TextDecodeError(
    'Unable to decode text: it is neither UTF-8, UTF-16 (with a BOM, or told by its NUL bytes) nor ' +
      'plausible Korean (EUC-KR/CP949); other legacy encodings (Shift_JIS, GB18030, Big5, ' +
      'Latin-1/Windows-1252, …) are not guessed: save the file as UTF-8',
  );
}
