/** Names and shape of the processed JSON (SPEC §5), shared by the stage that writes it and those that read it. */
export const PROCESSED_SCHEMA_VERSION = 1;

export const processedFileName = (programId: string, index: number): string => `processed_${programId}_${index}.json`;

export const processedKey = (programId: string, index: number): string =>
  `programs/${programId}/${processedFileName(programId, index)}`;

/**
 * The largest processed JSON read back (a Document retry, a reused extraction): it holds the text
 * about twice (text and chunks) plus structure, so three times the largest source it can come from.
 */
export const maxProcessedJsonBytes = (maxSourceBytes: number): number => maxSourceBytes * 3;

export const s3Uri = (bucket: string, key: string): string => `s3://${bucket}/${key}`;

export interface ProcessedChunk {
  index: number;
  text: string;
  char_start: number;
  char_end: number;
  /** 1-based pages of a PDF the chunk comes from; null for formats without pages. */
  page_start: number | null;
  page_end: number | null;
  /** The headings above the chunk (Markdown, HTML, DOCX), outermost first; [] when none. */
  heading_path: string[];
}

export interface ProcessedJson {
  schema_version: number;
  program_id: string;
  source_index: number;
  source_file_path: string;
  content_type: string;
  title: string;
  text: string;
  chunks: ProcessedChunk[];
  /** `encoding`: how a decoded text format was decoded (utf-8, utf-16le, cp949, …). */
  stats: { characters: number; words: number; pages: number; encoding?: string };
  /** Which extraction made this, so a later reprocessing can target files made by an older one. */
  extractor_version: string;
  sha256: string;
  processed_at: string;
}

// Bucket naming rules plus a key of 1–1024 bytes without control characters or dot segments:
// such keys are legal in S3 but almost always a client bug (or an attempt at traversal).
const S3_URI_RE = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])\/(.+)$/;

export function parseS3Uri(uri: string): { bucket: string; key: string } | undefined {
  const m = S3_URI_RE.exec(uri);
  if (!m) return undefined;
  const key = m[2];
  if (Buffer.byteLength(key, 'utf8') > 1024) return undefined;
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(key)) return undefined;
  if (key.split('/').some((segment) => segment === '.' || segment === '..')) return undefined;
  if (key.startsWith('/') || key.includes('//')) return undefined;
  return { bucket: m[1], key };
}

/**
 * Checks that a stored processed JSON is one this service wrote for this very file. Returns the
 * reason it is not, or undefined when it is valid.
 */
export function processedJsonProblem(value: unknown, programId: string, sourceIndex: number): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'not a JSON object';
  const v = value as Partial<Record<keyof ProcessedJson, unknown>>;
  if (v.schema_version !== PROCESSED_SCHEMA_VERSION) return `schema_version is not ${PROCESSED_SCHEMA_VERSION}`;
  if (v.program_id !== programId || v.source_index !== sourceIndex) return 'belongs to another file';
  for (const field of ['source_file_path', 'content_type', 'title', 'text', 'sha256', 'processed_at'] as const) {
    if (typeof v[field] !== 'string') return `${field} is missing or not a string`;
  }
  if (!/^[0-9a-f]{64}$/.test(v.sha256 as string)) return 'sha256 is not a hex digest';
  if (!Array.isArray(v.chunks)) return 'chunks is not a list';
  const stats = v.stats as Record<string, unknown> | undefined;
  if (!stats || !Number.isInteger(stats.characters) || !Number.isInteger(stats.words)) return 'stats are missing';
  if ((v.text as string).length === 0) return 'text is empty';
  return undefined;
}
