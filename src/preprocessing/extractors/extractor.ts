/** What a format extractor gets and gives; adding a format is one class implementing this. */
export interface ExtractionInput {
  bytes: Buffer;
  /** Last path segment of the source key, for titles and diagnostics. */
  fileName: string;
  signal: AbortSignal;
  /**
   * Longest text the extraction may produce (MAX_TEXT_CHARS, in UTF-16 code units). An extractor
   * whose output can outgrow its input (JSON paths, table padding, inflated archives) checks as it
   * goes and throws TOO_LARGE before building more; the pipeline checks the result again.
   */
  maxTextChars: number;
}

/**
 * A piece of a document's text and where it sits in the document, so every chunk made from it can
 * say which page and which section it came from (retrieval users cite both).
 */
export interface Segment {
  text: string;
  /** 1-based page of a PDF the piece comes from; undefined for formats without pages. */
  page?: number;
  /** The headings above the piece (Markdown, HTML, DOCX), outermost first; undefined or [] when none. */
  headingPath?: string[];
}

/**
 * Raw text; normalisation and chunking happen after, the same way for every format. An extractor
 * with structure to keep also gives `segments`, built with `fromSegments` so that `text` is always
 * exactly the segments in reading order, joined by SEGMENT_SEPARATOR.
 */
export interface Extraction {
  text: string;
  segments?: Segment[];
  /** The document's own title (metadata or first heading), when it has one. */
  title?: string;
  pages?: number;
  /** How a decoded text format was decoded: utf-8, utf-16le, utf-16be, cp949, euc-kr, … */
  encoding?: string;
}

export interface Extractor {
  readonly contentType: string;
  extract(input: ExtractionInput): Promise<Extraction>;
}

/** Between two segments: a paragraph break, so a chunk boundary falls there naturally. */
export const SEGMENT_SEPARATOR = '\n\n';

/** An extraction that keeps its segments (and the same text, joined). */
export function fromSegments(segments: Segment[]): Pick<Extraction, 'text' | 'segments'> {
  const kept = segments.filter((s) => s.text.trim() !== '');
  return { text: kept.map((s) => s.text).join(SEGMENT_SEPARATOR), segments: kept };
}
