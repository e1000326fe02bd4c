import { DOMParser } from '@xmldom/xmldom';
import JSZip from 'jszip';
import mammoth from 'mammoth';
import { finished } from 'node:stream/promises';
import * as yauzl from 'yauzl';
import { PreprocessingError } from '../errors/preprocessing.error';
import { withAllocationBudget } from './allocation-budget';
import { Extraction, ExtractionInput, Extractor } from './extractor';
import { htmlToSegments } from './html.extractor';

/** Sum of the declared uncompressed sizes of all entries a DOCX may have. */
export const MAX_DOCX_UNCOMPRESSED_BYTES = 200 * 1024 * 1024;
/** Highest uncompressed:compressed ratio allowed for an entry over RATIO_CHECKED_FROM_BYTES. */
export const MAX_DOCX_COMPRESSION_RATIO = 200;
const RATIO_CHECKED_FROM_BYTES = 1024 * 1024;
// What a ZIP without ZIP64 records can count; no Word document comes near it.
const MAX_DOCX_ENTRIES = 0xffff;

const MiB = 1024 * 1024;
const DC_NS = 'http://purl.org/dc/elements/1.1/';
const RELS_NS = 'http://schemas.openxmlformats.org/package/2006/relationships';
// Transitional and Strict OOXML spell the core-properties relationship type differently.
const CORE_PROPERTIES_REL = /\/metadata\/core-properties$/;
const DEFAULT_CORE_PART = 'docProps/core.xml';

/**
 * mammoth's HTML without its images: the default inlines each as a base64 data URI (a third larger
 * than the image), and images have no text: an empty <img> is left, which the conversion skips.
 */
const NO_IMAGES = { convertImage: mammoth.images.imgElement(() => Promise.resolve({ src: '' })) };

/**
 * Text of a Word document with its structure (SPEC §8.6): mammoth renders it as HTML with its
 * default style map (Heading 1-6 paragraph styles → h1-h6, numbered and bulleted paragraphs → ol/ul,
 * tables → table), which the HTML extractor's conversion turns into text: sections split at the
 * headings, each carrying its heading path; list items one per line ("- ", "1. "); table rows one
 * per line, cells joined by " | ". Title from the core properties (dc:title) when set.
 */
export class DocxExtractor implements Extractor {
  readonly contentType = 'application/vnd.openxmlformats-officedocument.wordprocessingml.document';

  async extract({ bytes, signal, maxTextChars }: ExtractionInput): Promise<Extraction> {
    // jszip (inside mammoth) keeps what it inflates in typed arrays, outside the worker's heap limit:
    // verifiedArchive bounds what it can inflate (the declared sizes, made true), and the budget
    // (allocation-budget.ts) backs that up. pako, loaded with jszip by the imports above and so before
    // the budget's guard exists, allocates unguarded: its chunks are counted but never refused inside
    // jszip's setImmediate loop, whence a RangeError would escape as an uncaught exception.
    return withAllocationBudget('DOCX', async () => {
      const archive = await verifiedArchive(bytes);
      signal.throwIfAborted();

      let html: string;
      try {
        html = (await mammoth.convertToHtml({ buffer: archive }, NO_IMAGES)).value;
      } catch (e) {
        throw new PreprocessingError('CORRUPT_FILE', `unreadable DOCX: ${(e as Error)?.message ?? String(e)}`);
      }
      signal.throwIfAborted();
      // The document's own title is its core properties' one, not the HTML's first <h1>.
      const { text, segments } = htmlToSegments(html, maxTextChars);
      return { text, segments, title: await readTitle(archive) };
    });
  }
}

interface VerifiedEntry {
  name: string;
  compressionMethod: number;
  crc32: number;
  uncompressedSize: number;
  /** The entry's compressed bytes, a view on the input. */
  data: Buffer;
}

/**
 * Checks a DOCX's ZIP structure with yauzl and returns the archive rewritten from exactly what was
 * checked: the only bytes jszip (inside mammoth) gets to read. Refused as CORRUPT_FILE:
 * - from the central directory alone, before anything is inflated: more than
 *   MAX_DOCX_UNCOMPRESSED_BYTES declared in all, or an entry over 1 MiB compressed more than
 *   MAX_DOCX_COMPRESSION_RATIO:1;
 * - an entry that does not inflate to exactly the size it declares. Each is inflated as a stream by
 *   Node's zlib, a chunk at a time and nothing kept (yauzl's validateEntrySizes), so an entry whose
 *   declared size lies costs one chunk past the lie, where jszip would have kept all of it.
 *
 * Why rewrite: jszip finds the entries its own way, and where it disagrees with yauzl it would inflate
 * entries nobody checked. It does disagree: a central directory that ends short of the end record is,
 * to jszip, data prepended to the archive, and it shifts every offset by the gap, onto another central
 * directory. The rewritten archive has one plain layout, written here: the same compressed bytes,
 * under the names yauzl read and the sizes just verified.
 */
async function verifiedArchive(bytes: Buffer): Promise<Buffer> {
  let zip: yauzl.ZipFile;
  try {
    zip = await yauzl.fromBufferPromise(bytes, {
      lazyEntries: true,
      strictFileNames: false,
      validateEntrySizes: true,
      autoClose: false,
    });
  } catch (e) {
    throw new PreprocessingError('CORRUPT_FILE', `not a valid DOCX (ZIP) archive: ${(e as Error).message}`);
  }
  const entries: VerifiedEntry[] = [];
  try {
    let total = 0;
    const iterator = zip.eachEntry();
    for (;;) {
      let next: IteratorResult<yauzl.Entry>;
      try {
        next = await iterator.next();
      } catch (e) {
        throw new PreprocessingError('CORRUPT_FILE', `not a valid DOCX (ZIP) archive: ${(e as Error).message}`);
      }
      if (next.done) break;
      const entry = next.value;
      total += entry.uncompressedSize;
      if (total > MAX_DOCX_UNCOMPRESSED_BYTES) {
        throw new PreprocessingError(
          'CORRUPT_FILE',
          `DOCX would inflate to more than the ${MAX_DOCX_UNCOMPRESSED_BYTES / MiB} MiB limit ` +
            `(${total} bytes declared by the entries up to ${entry.fileName})`,
        );
      }
      if (entry.uncompressedSize > RATIO_CHECKED_FROM_BYTES) {
        const ratio = entry.uncompressedSize / Math.max(entry.compressedSize, 1);
        if (ratio > MAX_DOCX_COMPRESSION_RATIO) {
          throw new PreprocessingError(
            'CORRUPT_FILE',
            `DOCX entry ${entry.fileName} has a compression ratio of ${Math.round(ratio)}:1, ` +
              `over the ${MAX_DOCX_COMPRESSION_RATIO}:1 limit`,
          );
        }
      }
      if (entries.length === MAX_DOCX_ENTRIES) {
        throw new PreprocessingError('CORRUPT_FILE', `DOCX has more than ${MAX_DOCX_ENTRIES} entries`);
      }
      entries.push(await verifiedEntry(zip, entry, bytes));
    }
  } finally {
    zip.close();
  }
  return writeZip(entries);
}

async function verifiedEntry(zip: yauzl.ZipFile, entry: yauzl.Entry, bytes: Buffer): Promise<VerifiedEntry> {
  try {
    const stream = await zip.openReadStreamPromise(entry);
    try {
      // yauzl errors one chunk past the declared size, and at the end of a short entry.
      await finished(stream.resume());
    } finally {
      stream.destroy();
    }
    const { fileDataStart } = await zip.readLocalFileHeaderPromise(entry, { minimal: true });
    return {
      name: entry.fileName,
      compressionMethod: entry.compressionMethod,
      crc32: entry.crc32,
      uncompressedSize: entry.uncompressedSize,
      data: bytes.subarray(fileDataStart, fileDataStart + entry.compressedSize),
    };
  } catch (e) {
    throw new PreprocessingError(
      'CORRUPT_FILE',
      `DOCX entry ${entry.fileName} cannot be read as the ${entry.uncompressedSize} bytes it declares: ` +
        `${(e as Error)?.message ?? String(e)}`,
    );
  }
}

/** A ZIP of the given entries: local headers and data, central directory, end record; no ZIP64. */
function writeZip(entries: VerifiedEntry[]): Buffer {
  const parts: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const name = Buffer.from(e.name, 'utf8');
    const header = (signature: number, size: number, at: number) => {
      const h = Buffer.alloc(size);
      h.writeUInt32LE(signature, 0);
      h.writeUInt16LE(20, at); // version needed to extract: 2.0 (deflate)
      h.writeUInt16LE(0x0800, at + 2); // flags: UTF-8 name; no data descriptor, no encryption
      h.writeUInt16LE(e.compressionMethod, at + 4);
      // at + 6, at + 8: modification time and date, left 0
      h.writeUInt32LE(e.crc32, at + 10);
      h.writeUInt32LE(e.data.length, at + 14);
      h.writeUInt32LE(e.uncompressedSize, at + 18);
      h.writeUInt16LE(name.length, at + 22);
      return h;
    };
    parts.push(header(0x04034b50, 30, 4), name, e.data);
    const c = header(0x02014b50, 46, 6);
    c.writeUInt16LE(20, 4); // version made by
    c.writeUInt32LE(offset, 42);
    central.push(c, name);
    offset += 30 + name.length + e.data.length;
  }
  const directory = Buffer.concat(central);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...parts, directory, end]);
}

/** dc:title of the core-properties part; the title is optional, so an unreadable part gives none. */
async function readTitle(bytes: Buffer): Promise<string | undefined> {
  try {
    const zip = await JSZip.loadAsync(bytes);
    const corePath = (await corePropertiesPath(zip)) ?? DEFAULT_CORE_PART;
    const xml = await zip.file(corePath)?.async('string');
    if (!xml) return undefined;
    const title = parseXml(xml).getElementsByTagNameNS(DC_NS, 'title')[0]?.textContent;
    return title?.replace(/\s+/g, ' ').trim() || undefined;
  } catch {
    return undefined;
  }
}

/** Where the package relationships (_rels/.rels) say the core properties are. */
async function corePropertiesPath(zip: JSZip): Promise<string | undefined> {
  const rels = await zip.file('_rels/.rels')?.async('string');
  if (!rels) return undefined;
  const list = parseXml(rels).getElementsByTagNameNS(RELS_NS, 'Relationship');
  for (let i = 0; i < list.length; i++) {
    const rel = list[i];
    if (CORE_PROPERTIES_REL.test(rel.getAttribute('Type') ?? '')) {
      return rel.getAttribute('Target')?.replace(/^\/+/, '') || undefined;
    }
  }
  return undefined;
}

function parseXml(xml: string) {
  const quiet = () => undefined;
  return new DOMParser({ errorHandler: { warning: quiet, error: quiet, fatalError: quiet } }).parseFromString(
    xml,
    'text/xml',
  );
}
