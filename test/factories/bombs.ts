/**
 * Decompression bombs, built at test time (in milliseconds, in a few MB of memory) rather than
 * committed: a DOCX whose document really inflates to 1 GiB cannot be smaller than about 1 MiB,
 * DEFLATE's best ratio being 1032:1. See test/fixtures/formats/README.md.
 *
 * Nothing here runs zlib on the gigabytes: the long run is written straight as DEFLATE data (RFC 1951)
 * — one dynamic-Huffman block whose only two length/literal codes are end-of-block and "copy 258
 * bytes", and whose only distance is 1 — so each byte of it stands for four copies, 1032 bytes.
 */
import { crc32, deflateRawSync, deflateSync } from 'node:zlib';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

/** What buildPdfBomb makes by default: a page content stream that inflates to just over 2 GiB. */
export const PDF_BOMB_INFLATED_BYTES = 2 * GiB + MiB;
/** What buildDocxBomb's word/document.xml really inflates to by default: just over 1 GiB. */
export const DOCX_BOMB_INFLATED_BYTES = GiB + MiB;
/** The uncompressed size buildDocxBomb's central directory (and local header) declares for it. */
export const DOCX_BOMB_DECLARED_BYTES = 4096;

const MAX_MATCH = 258;
const MAX_STORED_BLOCK = 65535;
const ADLER_MOD = 65521n;

class BitWriter {
  private readonly out: Buffer;
  private byte = 0;
  private bitCount = 0;
  length = 0;

  constructor(capacity: number) {
    this.out = Buffer.alloc(capacity);
  }

  /** `count` bits of `value`, least significant first (how DEFLATE packs header fields and extra bits). */
  bits(value: number, count: number): void {
    for (let i = 0; i < count; i++) this.bit((value >>> i) & 1);
  }

  bit(b: number): void {
    this.byte |= b << this.bitCount;
    if (++this.bitCount === 8) this.flushByte();
  }

  /** `times` repetitions of a 2-bit pattern (first bit `first`, then `second`); whole bytes at a time. */
  pairs(first: number, second: number, times: number): void {
    let left = 2 * times;
    let phase = 0;
    const next = () => {
      this.bit(phase === 0 ? first : second);
      phase ^= 1;
      left--;
    };
    while (left > 0 && this.bitCount !== 0) next();
    if (left >= 8) {
      // Byte-aligned now, and a byte holds four whole periods: every byte from here is the same.
      let b = 0;
      for (let i = 0; i < 8; i++) b |= ((i + phase) % 2 === 0 ? first : second) << i;
      const whole = Math.floor(left / 8);
      this.out.fill(b, this.length, this.length + whole);
      this.length += whole;
      left -= whole * 8;
    }
    while (left > 0) next();
  }

  alignToByte(): void {
    if (this.bitCount > 0) this.flushByte();
  }

  bytes(data: Buffer): void {
    this.alignToByte();
    data.copy(this.out, this.length);
    this.length += data.length;
  }

  result(): Buffer {
    this.alignToByte();
    return this.out.subarray(0, this.length);
  }

  private flushByte(): void {
    this.out[this.length++] = this.byte;
    this.byte = 0;
    this.bitCount = 0;
  }
}

function storedBlock(w: BitWriter, data: Buffer, final: boolean): void {
  let offset = 0;
  do {
    const piece = data.subarray(offset, offset + MAX_STORED_BLOCK);
    offset += piece.length;
    w.bits(final && offset >= data.length ? 1 : 0, 1);
    w.bits(0b00, 2); // stored
    const len = Buffer.alloc(4);
    len.writeUInt16LE(piece.length, 0);
    len.writeUInt16LE(~piece.length & 0xffff, 2);
    w.bytes(len); // aligns to a byte first, as a stored block's LEN must be
    w.bytes(piece);
  } while (offset < data.length);
}

/**
 * A non-final dynamic-Huffman block of `matches` copies of 258 bytes at distance 1.
 * Literal/length code: 256 (end of block) = 0, 285 (length 258, no extra bits) = 1, both 1 bit.
 * Distance code: only code 0 (distance 1), 1 bit, code 0 — one code of length 1, which RFC 1951
 * and zlib allow. Code-length code: symbols 1 and 18 (a run of 11–138 zeros), 1 bit each.
 */
function runBlock(w: BitWriter, matches: number): void {
  w.bits(0, 1); // not final
  w.bits(0b10, 2); // dynamic Huffman
  w.bits(286 - 257, 5); // HLIT: literal/length codes 0..285
  w.bits(1 - 1, 5); // HDIST: one distance code
  // Code-length code lengths, in RFC 1951's order, up to symbol 1: 18 and 1 have length 1.
  const order = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1];
  w.bits(order.length - 4, 4); // HCLEN
  for (const symbol of order) w.bits(symbol === 18 || symbol === 1 ? 1 : 0, 3);
  // Canonical codes: symbol 1 → 0, symbol 18 → 1.
  const zeros = (n: number) => {
    w.bit(1);
    w.bits(n - 11, 7);
  };
  const one = () => w.bit(0);
  zeros(138);
  zeros(118); // literals 0..255: unused
  one(); // 256: end of block
  zeros(28); // 257..284: unused
  one(); // 285: length 258
  one(); // distance code 0
  w.pairs(1, 0, matches); // 285, then distance code 0
  w.bit(0); // end of block
}

/**
 * Raw DEFLATE data that inflates to `head`, then `runLength` more copies of head's last byte, then
 * `tail`. Its size is about runLength / 1032 bytes.
 */
export function deflateRun(head: Buffer, runLength: number, tail: Buffer): Buffer {
  if (head.length === 0) throw new Error('deflateRun needs a head to repeat the last byte of');
  const matches = Math.floor(runLength / MAX_MATCH);
  const rest = Buffer.concat([Buffer.alloc(runLength - matches * MAX_MATCH, head[head.length - 1]), tail]);
  const w = new BitWriter(Math.ceil(matches / 4) + head.length + rest.length + 1024);
  storedBlock(w, head, false);
  if (matches > 0) runBlock(w, matches);
  storedBlock(w, rest, true);
  return w.result();
}

/** Adler-32 (RFC 1950) of head + runLength copies of head's last byte + tail, without the run in memory. */
function adler32Run(head: Buffer, runLength: number, tail: Buffer): number {
  let a = 1n;
  let b = 0n;
  const feed = (data: Buffer) => {
    for (const byte of data) {
      a = (a + BigInt(byte)) % ADLER_MOD;
      b = (b + a) % ADLER_MOD;
    }
  };
  feed(head);
  const k = BigInt(runLength);
  const v = BigInt(head[head.length - 1]);
  b = (b + k * a + (v * k * (k + 1n)) / 2n) % ADLER_MOD;
  a = (a + k * v) % ADLER_MOD;
  feed(tail);
  return Number((b << 16n) | a);
}

/** The same as deflateRun, in a zlib wrapper (RFC 1950), which is what a PDF's /FlateDecode expects. */
export function zlibRun(head: Buffer, runLength: number, tail: Buffer): Buffer {
  const trailer = Buffer.alloc(4);
  trailer.writeUInt32BE(adler32Run(head, runLength, tail) >>> 0, 0);
  // 0x78 0xda: deflate, 32 KiB window, no dictionary, "maximum compression".
  return Buffer.concat([Buffer.from([0x78, 0xda]), deflateRun(head, runLength, tail), trailer]);
}

// ---------------------------------------------------------------------------------------------
// PDF

export interface PdfBombOptions {
  /** Bytes the page's content stream inflates to (default PDF_BOMB_INFLATED_BYTES). */
  inflatedBytes?: number;
  /** Also give the catalog a /Metadata (XMP) stream that inflates to as much; pdf.js reads it whole. */
  metadataBomb?: boolean;
}

/**
 * A one-page PDF (a few KB) whose content stream is filtered [/FlateDecode /FlateDecode]: the
 * outer layer (zlib, level 9) inflates to about inflatedBytes / 1032 bytes of the hand-written
 * inner layer, which inflates to `BT … (Decompression bomb) Tj ET` followed by inflatedBytes of
 * spaces. Everything else (xref table, trailer, page tree, font) is ordinary.
 */
export function buildPdfBomb(options: PdfBombOptions = {}): Buffer {
  const inflated = options.inflatedBytes ?? PDF_BOMB_INFLATED_BYTES;
  const bombStream = (head: string, tail: string, extraDict = '') => {
    const headBytes = Buffer.from(head, 'latin1');
    const tailBytes = Buffer.from(tail, 'latin1');
    const runLength = Math.max(0, inflated - headBytes.length - tailBytes.length);
    const data = deflateSync(zlibRun(headBytes, runLength, tailBytes), { level: 9 });
    const dict = `<< /Length ${data.length} /Filter [/FlateDecode /FlateDecode]${extraDict} >>`;
    return Buffer.concat([Buffer.from(`${dict}\nstream\n`, 'latin1'), data, Buffer.from('\nendstream', 'latin1')]);
  };

  const objects: Buffer[] = [];
  const metadata = options.metadataBomb ? ' /Metadata 7 0 R' : '';
  objects[1] = Buffer.from(`<< /Type /Catalog /Pages 2 0 R${metadata} >>`, 'latin1');
  objects[2] = Buffer.from('<< /Type /Pages /Kids [3 0 R] /Count 1 >>', 'latin1');
  objects[3] = Buffer.from(
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>',
    'latin1',
  );
  objects[4] = Buffer.from('<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>', 'latin1');
  objects[5] = bombStream('BT /F1 12 Tf 72 720 Td (Decompression bomb) Tj ET\n ', '\n');
  objects[6] = Buffer.from('<< /Title (Decompression bomb) /Producer (test/factories/bombs.ts) >>', 'latin1');
  if (options.metadataBomb) {
    objects[7] = bombStream(
      '<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?>\n<x:xmpmeta xmlns:x="adobe:ns:meta/"> ',
      '</x:xmpmeta>\n<?xpacket end="w"?>',
      ' /Type /Metadata /Subtype /XML',
    );
  }

  const parts: Buffer[] = [Buffer.from('%PDF-1.7\n%\xe2\xe3\xcf\xd3\n', 'latin1')];
  let length = parts[0].length;
  const offsets: number[] = [];
  for (let id = 1; id < objects.length; id++) {
    const obj = Buffer.concat([Buffer.from(`${id} 0 obj\n`, 'latin1'), objects[id], Buffer.from('\nendobj\n')]);
    offsets.push(length);
    parts.push(obj);
    length += obj.length;
  }
  const xref =
    `xref\n0 ${objects.length}\n0000000000 65535 f \n` +
    offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`).join('') +
    `trailer\n<< /Size ${objects.length} /Root 1 0 R /Info 6 0 R >>\nstartxref\n${length}\n%%EOF\n`;
  parts.push(Buffer.from(xref, 'latin1'));
  return Buffer.concat(parts);
}

// ---------------------------------------------------------------------------------------------
// DOCX

const W_NS = 'http://schemas.openxmlformats.org/wordprocessingml/2006/main';
const CONTENT_TYPES_XML =
  '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n' +
  '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">' +
  '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>' +
  '<Default Extension="xml" ContentType="application/xml"/>' +
  '<Override PartName="/word/document.xml" ' +
  'ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>' +
  '</Types>';
const ROOT_RELS_XML =
  '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n' +
  '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">' +
  '<Relationship Id="rId1" ' +
  'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" ' +
  'Target="word/document.xml"/>' +
  '</Relationships>';

interface ZipEntry {
  name: string;
  data: Buffer;
  crc: number;
  declaredSize: number;
}

// 2026-01-01 00:00:00, as in scripts/make-format-fixtures.js.
const DOS_TIME = 0;
const DOS_DATE = ((2026 - 1980) << 9) | (1 << 5) | 1;

interface ZipSections {
  /** Local headers and data, meant to start at the offset given to zipSections. */
  files: Buffer;
  centralDirectory: Buffer;
  count: number;
}

/** A minimal ZIP writer (deflate, no ZIP64) that writes whatever uncompressed size it is told. */
function zipSections(entries: ZipEntry[], startOffset = 0): ZipSections {
  const files: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = startOffset;
  for (const e of entries) {
    const name = Buffer.from(e.name, 'utf8');
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(0x0800, 6); // UTF-8 names
    local.writeUInt16LE(8, 8); // deflate
    local.writeUInt16LE(DOS_TIME, 10);
    local.writeUInt16LE(DOS_DATE, 12);
    local.writeUInt32LE(e.crc >>> 0, 14);
    local.writeUInt32LE(e.data.length, 18);
    local.writeUInt32LE(e.declaredSize, 22);
    local.writeUInt16LE(name.length, 26);
    files.push(local, name, e.data);

    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0x0800, 8);
    central.writeUInt16LE(8, 10);
    central.writeUInt16LE(DOS_TIME, 12);
    central.writeUInt16LE(DOS_DATE, 14);
    central.writeUInt32LE(e.crc >>> 0, 16);
    central.writeUInt32LE(e.data.length, 20);
    central.writeUInt32LE(e.declaredSize, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(offset, 42);
    centrals.push(central, name);
    offset += local.length + name.length + e.data.length;
  }
  return { files: Buffer.concat(files), centralDirectory: Buffer.concat(centrals), count: entries.length };
}

function endOfCentralDirectory(zip: ZipSections, centralDirectoryOffset: number, comment = Buffer.alloc(0)): Buffer {
  const eocd = Buffer.alloc(22);
  eocd.writeUInt32LE(0x06054b50, 0);
  eocd.writeUInt16LE(zip.count, 8);
  eocd.writeUInt16LE(zip.count, 10);
  eocd.writeUInt32LE(zip.centralDirectory.length, 12);
  eocd.writeUInt32LE(centralDirectoryOffset, 16);
  eocd.writeUInt16LE(comment.length, 20);
  return Buffer.concat([eocd, comment]);
}

function buildZip(entries: ZipEntry[]): Buffer {
  const zip = zipSections(entries);
  return Buffer.concat([zip.files, zip.centralDirectory, endOfCentralDirectory(zip, zip.files.length)]);
}

function honestEntry(name: string, text: string): ZipEntry {
  const bytes = Buffer.from(text, 'utf8');
  return { name, data: deflateRawSync(bytes, { level: 9 }), crc: crc32(bytes), declaredSize: bytes.length };
}

export interface DocxBombOptions {
  /** Bytes word/document.xml really inflates to (default DOCX_BOMB_INFLATED_BYTES). */
  inflatedBytes?: number;
  /** Uncompressed size declared for it (default DOCX_BOMB_DECLARED_BYTES). */
  declaredBytes?: number;
  /**
   * Hide the bomb behind an honest decoy archive (see buildDocxBomb) that yauzl, and so any
   * check made with it, reads instead of the bomb, which jszip reads.
   */
  behindDecoy?: boolean;
}

const DOCUMENT_HEAD = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<w:document xmlns:w="${W_NS}"><w:body><w:p><w:r><w:t>`;
const DOCUMENT_TAIL = '</w:t></w:r></w:p></w:body></w:document>';

/**
 * A DOCX (a ZIP that sniffs as one: [Content_Types].xml first, then _rels/.rels and
 * word/document.xml) whose word/document.xml declares `declaredBytes` in both its local header and
 * the central directory but really inflates to inflatedBytes: a WordprocessingML paragraph of
 * `A`s. Its CRC-32 field is 0 (jszip does not check CRCs unless asked, and the size is a lie
 * anyway). The file is about inflatedBytes / 1032 bytes: 1 MiB for the default.
 *
 * behindDecoy: the file is a decoy DOCX's files (honest sizes, one paragraph "Decoy"), the bomb's
 * files, the decoy's central directory, the bomb's central directory, then one end record. That
 * record points at the decoy's central directory and gives the bomb's central directory's size.
 * yauzl takes the offsets as written and reads the decoy. jszip sees a central directory that ends
 * short of the end record, takes the gap for data prepended to the archive (as in a
 * self-extractor), shifts every offset by it, and so reads the bomb's central directory, whose
 * offsets are written to land on the bomb's files once shifted. `unzip` does the same as jszip.
 */
export function buildDocxBomb(options: DocxBombOptions = {}): Buffer {
  const inflated = options.inflatedBytes ?? DOCX_BOMB_INFLATED_BYTES;
  const head = Buffer.from(`${DOCUMENT_HEAD}A`, 'utf8');
  const tail = Buffer.from(DOCUMENT_TAIL, 'utf8');
  const runLength = Math.max(0, inflated - head.length - tail.length);
  const bomb: ZipEntry[] = [
    honestEntry('[Content_Types].xml', CONTENT_TYPES_XML),
    honestEntry('_rels/.rels', ROOT_RELS_XML),
    {
      name: 'word/document.xml',
      data: deflateRun(head, runLength, tail),
      crc: 0,
      declaredSize: options.declaredBytes ?? DOCX_BOMB_DECLARED_BYTES,
    },
  ];
  if (!options.behindDecoy) return buildZip(bomb);

  const decoyEntries = [
    honestEntry('[Content_Types].xml', CONTENT_TYPES_XML),
    honestEntry('_rels/.rels', ROOT_RELS_XML),
    honestEntry('word/document.xml', `${DOCUMENT_HEAD}Decoy${DOCUMENT_TAIL}`),
  ];
  const decoy = zipSections(decoyEntries);
  const shift = decoy.centralDirectory.length;
  // The decoy's files come first so that the bomb's offsets, written `shift` bytes short, stay >= 0.
  const hidden = zipSections(bomb, decoy.files.length - shift);
  const decoyCentralOffset = decoy.files.length + hidden.files.length;
  // One end record serves both central directories: it counts the entries of either.
  if (decoy.count !== hidden.count) throw new Error('the decoy needs as many entries as the bomb');
  const end = endOfCentralDirectory(hidden, decoyCentralOffset);
  return Buffer.concat([decoy.files, hidden.files, decoy.centralDirectory, hidden.centralDirectory, end]);
}

// ---------------------------------------------------------------------------------------------
// For end-to-end runs

export interface BombFile {
  key: string;
  body: Buffer;
  contentType: string;
  /** How processing the file must end: a failure code (neither is retryable), or `success`. */
  outcome: 'TOO_LARGE' | 'CORRUPT_FILE' | 'success';
}

/** Every bomb above as a file to upload (about 2.1 MB in all), with the outcome it must have. */
export function decompressionBombFiles(prefix = 'bombs/'): BombFile[] {
  const pdf = 'application/pdf';
  const docx = 'application/vnd.openxmlformats-officedocument.wordprocessingml.document';
  return [
    { key: `${prefix}content-stream-bomb.pdf`, body: buildPdfBomb(), contentType: pdf, outcome: 'TOO_LARGE' },
    {
      key: `${prefix}metadata-bomb.pdf`,
      body: buildPdfBomb({ metadataBomb: true }),
      contentType: pdf,
      outcome: 'TOO_LARGE',
    },
    { key: `${prefix}lying-sizes.docx`, body: buildDocxBomb(), contentType: docx, outcome: 'CORRUPT_FILE' },
    // Extracted as the decoy's one paragraph, "Decoy": the hidden bomb is never inflated.
    {
      key: `${prefix}bomb-behind-decoy.docx`,
      body: buildDocxBomb({ behindDecoy: true }),
      contentType: docx,
      outcome: 'success',
    },
  ];
}
