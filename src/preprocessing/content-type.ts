import { fromBuffer } from 'file-type';
import { extname } from 'node:path';
import { looksBinary } from './text';

export const CONTENT_TYPES = {
  text: 'text/plain',
  markdown: 'text/markdown',
  html: 'text/html',
  csv: 'text/csv',
  json: 'application/json',
  pdf: 'application/pdf',
  docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
} as const;

const BY_EXTENSION: Record<string, string> = {
  '.txt': CONTENT_TYPES.text,
  '.text': CONTENT_TYPES.text,
  '.md': CONTENT_TYPES.markdown,
  '.markdown': CONTENT_TYPES.markdown,
  '.html': CONTENT_TYPES.html,
  '.htm': CONTENT_TYPES.html,
  '.csv': CONTENT_TYPES.csv,
  '.json': CONTENT_TYPES.json,
  '.pdf': CONTENT_TYPES.pdf,
  '.docx': CONTENT_TYPES.docx,
};

const TEXTUAL_HEADER_TYPES = new Set<string>(Object.values(CONTENT_TYPES));

/**
 * The bytes decide first (a PDF named .txt is a PDF); for text, which carries no magic number, the
 * extension and then the stored Content-Type decide. Returns a MIME type, supported or not.
 */
export async function detectContentType(bytes: Buffer, key: string, storedContentType?: string): Promise<string> {
  const ext = extname(key).toLowerCase();
  // A text BOM first: FF FE also opens an MPEG audio frame, and the sniffer would say audio/mpeg.
  if (hasTextBom(bytes)) return BY_EXTENSION[ext] ?? CONTENT_TYPES.text;
  // A truncated file makes the sniffer run out of bytes (End-Of-Stream): that means "no known
  // signature", and the checks below then decide, so the rejection is an answer, not a failure.
  const magic = await fromBuffer(bytes).catch((e: unknown) => {
    if ((e as Error)?.message === 'End-Of-Stream') return undefined;
    throw e;
  });
  if (magic) {
    // A DOCX is a ZIP; file-type recognises it by its [Content_Types].xml entry.
    if (magic.ext === 'docx') return CONTENT_TYPES.docx;
    // A damaged DOCX often loses the entry that identifies it and sniffs as a bare ZIP: let the
    // DOCX extractor report what is wrong with it rather than calling the type unsupported.
    if (magic.ext === 'zip' && ext === '.docx') return CONTENT_TYPES.docx;
    return magic.mime;
  }
  // Stray controls (NUL included) do not make a file binary: normalisation removes them. Text in an
  // encoding we cannot tell is still text here, by its extension; extraction refuses it then
  // (ENCODING_UNKNOWN), which says more than an unsupported type would.
  if (looksBinary(bytes)) return 'application/octet-stream';
  const byExt = BY_EXTENSION[ext];
  if (byExt) return byExt;
  const header = storedContentType?.split(';')[0].trim().toLowerCase();
  if (header && TEXTUAL_HEADER_TYPES.has(header)) return header;
  return CONTENT_TYPES.text;
}

function hasTextBom(b: Buffer): boolean {
  return (
    (b.length >= 3 && b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf) ||
    (b.length >= 2 && ((b[0] === 0xff && b[1] === 0xfe) || (b[0] === 0xfe && b[1] === 0xff)))
  );
}
