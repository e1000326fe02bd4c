import { DOMParser } from '@xmldom/xmldom';
import JSZip from 'jszip';
import mammoth from 'mammoth';
import * as yauzl from 'yauzl';
import { PreprocessingError } from '../errors/preprocessing.error';
import { Extraction, ExtractionInput, Extractor } from './extractor';

/** Sum of the declared uncompressed sizes of all entries a DOCX may have. */
export const MAX_DOCX_UNCOMPRESSED_BYTES = 200 * 1024 * 1024;
/** Highest uncompressed:compressed ratio allowed for an entry over RATIO_CHECKED_FROM_BYTES. */
export const MAX_DOCX_COMPRESSION_RATIO = 200;
const RATIO_CHECKED_FROM_BYTES = 1024 * 1024;

const MiB = 1024 * 1024;
const DC_NS = 'http://purl.org/dc/elements/1.1/';
const RELS_NS = 'http://schemas.openxmlformats.org/package/2006/relationships';
// Transitional and Strict OOXML spell the core-properties relationship type differently.
const CORE_PROPERTIES_REL = /\/metadata\/core-properties$/;
const DEFAULT_CORE_PART = 'docProps/core.xml';

/** Text of a Word document (mammoth); title from the core properties (dc:title) when set. */
export class DocxExtractor implements Extractor {
  readonly contentType = 'application/vnd.openxmlformats-officedocument.wordprocessingml.document';

  async extract({ bytes, signal }: ExtractionInput): Promise<Extraction> {
    // Reads only the ZIP's central directory: nothing is inflated before the sizes are known.
    await checkDeclaredSizes(bytes);
    signal.throwIfAborted();

    let text: string;
    try {
      text = (await mammoth.extractRawText({ buffer: bytes })).value;
    } catch (e) {
      throw new PreprocessingError('CORRUPT_FILE', `unreadable DOCX: ${(e as Error)?.message ?? String(e)}`);
    }
    signal.throwIfAborted();
    return { text, title: await readTitle(bytes) };
  }
}

/**
 * Refuses a zip bomb before anything is inflated, from the sizes the central directory declares.
 * An archive whose declared sizes lie gets past this check: jszip notices the mismatch only after
 * inflating, so for that case the extraction worker's heap limit is the bound.
 */
async function checkDeclaredSizes(bytes: Buffer): Promise<void> {
  let zip: yauzl.ZipFile;
  try {
    zip = await yauzl.fromBufferPromise(bytes, { lazyEntries: true, strictFileNames: false });
  } catch (e) {
    throw new PreprocessingError('CORRUPT_FILE', `not a valid DOCX (ZIP) archive: ${(e as Error).message}`);
  }
  await new Promise<void>((resolve, reject) => {
    let total = 0;
    const fail = (error: PreprocessingError) => {
      zip.close();
      reject(error);
    };
    zip.on('entry', (entry: yauzl.Entry) => {
      total += entry.uncompressedSize;
      if (total > MAX_DOCX_UNCOMPRESSED_BYTES) {
        return fail(
          new PreprocessingError(
            'CORRUPT_FILE',
            `DOCX would inflate to more than the ${MAX_DOCX_UNCOMPRESSED_BYTES / MiB} MiB limit ` +
              `(${total} bytes declared by the entries up to ${entry.fileName})`,
          ),
        );
      }
      if (entry.uncompressedSize > RATIO_CHECKED_FROM_BYTES) {
        const ratio = entry.uncompressedSize / Math.max(entry.compressedSize, 1);
        if (ratio > MAX_DOCX_COMPRESSION_RATIO) {
          return fail(
            new PreprocessingError(
              'CORRUPT_FILE',
              `DOCX entry ${entry.fileName} has a compression ratio of ${Math.round(ratio)}:1, ` +
                `over the ${MAX_DOCX_COMPRESSION_RATIO}:1 limit`,
            ),
          );
        }
      }
      zip.readEntry();
    });
    zip.on('end', () => resolve());
    zip.on('error', (e: Error) =>
      fail(new PreprocessingError('CORRUPT_FILE', `not a valid DOCX (ZIP) archive: ${e.message}`)),
    );
    zip.readEntry();
  });
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
