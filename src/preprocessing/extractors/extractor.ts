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

export interface Extraction {
  /** Raw text; normalisation and chunking happen after, the same way for every format. */
  text: string;
  /** The document's own title (metadata or first heading), when it has one. */
  title?: string;
  pages?: number;
}

export interface Extractor {
  readonly contentType: string;
  extract(input: ExtractionInput): Promise<Extraction>;
}
