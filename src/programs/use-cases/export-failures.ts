import type { Identity } from '../../common/auth/identity';
import { FAILURE_CSV_HEADER, failureCsvRow } from '../dto/failure-csv';
import type { ExportFormat } from '../dto/program-queries';
import { ProgramNotFoundError } from '../errors/program.errors';
import { toDocumentRecord, toPreprocessingRecord } from '../failure-records';
import type { FailureRow, ProgramFilesRepository } from '../program-files.repository';
import type { FailureStage } from '../program.types';
import type { ProgramsRepository } from '../programs.repository';

/** Rows per query: each page is one short index range scan. */
export const EXPORT_PAGE_ROWS = 1000;
/**
 * Rows per chunk of the response. A whole page as one string is up to a few MB, and native buffers
 * that large stay with the C allocator once freed (glibc raises its mmap threshold to the largest
 * block freed): with one chunk per page the process's RSS grew with the export's size (39 MB for a
 * 66 MB export, 127 MB for 209 MB); at 100 rows a chunk it stayed near 20 MB for 340 MB.
 */
const CHUNK_ROWS = 100;

export interface FailureExportStream {
  contentType: string;
  filename: string;
  /** The body in chunks of rows; it reads the next page only once the previous one has been taken. */
  body: AsyncGenerator<string, void, undefined>;
}

const STAGES: readonly FailureStage[] = ['preprocessing', 'document'];

/**
 * GET /v1/programs/{id}/failures/export: every failure record, stage by stage in source order,
 * streamed. Memory stays one page whatever the program's size: the body is pulled by the response
 * (backpressure), and a client that goes away stops the reading.
 *
 * Pages are separate statements, not one snapshot: a retry running meanwhile may move a file from
 * one stage's list to the other's between two pages. Holding one transaction open for as long as a
 * slow client downloads would pin a pooled connection and an old snapshot instead.
 */
export class FailureExport {
  constructor(
    private readonly programs: ProgramsRepository,
    private readonly files: ProgramFilesRepository,
    private readonly bucket: string,
  ) {}

  async open(
    programId: string,
    caller: Identity,
    format: ExportFormat,
    stage: FailureStage | undefined,
  ): Promise<FailureExportStream> {
    if (!(await this.programs.findOwned(programId, caller, false))) throw new ProgramNotFoundError();
    const pages = this.pages(programId, stage ? [stage] : STAGES);
    // The first page is read before any header goes out: should the database fail now, the client
    // still gets a proper error answer instead of a cut-off download.
    const first = await pages.next();
    const encode =
      format === 'csv' ? (rows: FailureRow[]) => this.csv(rows) : (rows: FailureRow[]) => this.jsonl(programId, rows);
    return {
      // JSON is UTF-8 by definition (RFC 8259): x-ndjson takes no charset parameter.
      contentType: format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson',
      filename: `${programId}-failures.${format}`,
      body: this.body(format, first, pages, encode),
    };
  }

  private async *body(
    format: ExportFormat,
    first: IteratorResult<FailureRow[], void>,
    pages: AsyncGenerator<FailureRow[], void, undefined>,
    encode: (rows: FailureRow[]) => string,
  ): AsyncGenerator<string, void, undefined> {
    try {
      if (format === 'csv') yield FAILURE_CSV_HEADER;
      if (first.done) return;
      for (const chunk of chunks(first.value)) yield encode(chunk);
      for await (const rows of pages) for (const chunk of chunks(rows)) yield encode(chunk);
    } finally {
      // Also when the body is abandoned before it reached the loop (the client left early).
      await pages.return(undefined);
    }
  }

  private async *pages(
    programId: string,
    stages: readonly FailureStage[],
  ): AsyncGenerator<FailureRow[], void, undefined> {
    for (const stage of stages) {
      let after = -1;
      for (;;) {
        const rows = await this.files.failures(programId, stage, after, EXPORT_PAGE_ROWS);
        if (rows.length > 0) yield rows;
        if (rows.length < EXPORT_PAGE_ROWS) break;
        after = rows[rows.length - 1].source_index;
      }
    }
  }

  private csv(rows: FailureRow[]): string {
    let out = '';
    for (const r of rows) {
      out += failureCsvRow({
        stage: r.stage,
        index: r.source_index,
        file_path: r.source_file_path,
        error_code: r.error_code,
        retryable: r.retryable,
        retry_count: r.retry_count,
        exhausted: r.exhausted,
        next_retry_at: r.next_retry_at,
        timestamp: r.failed_at,
        error: r.error,
      });
    }
    return out;
  }

  /** The same records as GET …/failures, one JSON object per line. */
  private jsonl(programId: string, rows: FailureRow[]): string {
    let out = '';
    for (const r of rows) {
      const record =
        r.stage === 'preprocessing' ? toPreprocessingRecord(r) : toDocumentRecord(r, programId, this.bucket);
      out += `${JSON.stringify({ stage: r.stage, ...record })}\n`;
    }
    return out;
  }
}

function* chunks(rows: FailureRow[]): Generator<FailureRow[]> {
  for (let i = 0; i < rows.length; i += CHUNK_ROWS) yield rows.slice(i, i + CHUNK_ROWS);
}
