import type { QueryBus } from '@nestjs/cqrs';
import type { Identity } from '../../common/auth/identity';
import { DocumentOfFileQuery } from '../../documents/queries/document-of-file.query';
import type { FileStoryDto } from '../dto/program.responses';
import { FileNotFoundError, ProgramNotFoundError } from '../errors/program.errors';
import { toDocumentRecord, toPreprocessingRecord } from '../failure-records';
import type { FailureRow, ProgramFilesRepository } from '../program-files.repository';
import type { ProgramsRepository } from '../programs.repository';

/** GET /v1/programs/{id}/files/{index}: where one file stands, and every pass ever made at it. */
export class FileStory {
  constructor(
    private readonly programs: ProgramsRepository,
    private readonly files: ProgramFilesRepository,
    private readonly queries: QueryBus,
    private readonly bucket: string,
  ) {}

  async read(programId: string, caller: Identity, sourceIndex: number): Promise<FileStoryDto> {
    const program = await this.programs.findOwned(programId, caller, false);
    if (!program) throw new ProgramNotFoundError();
    // Past the file count (or past what SQL's int holds) there is nothing to look up.
    if (!Number.isSafeInteger(sourceIndex) || sourceIndex < 0 || sourceIndex >= program.total_files) {
      throw new FileNotFoundError();
    }
    const row = await this.files.fileStory(programId, sourceIndex);
    if (!row) throw new FileNotFoundError();

    // The failure columns keep the last failure while a retry has the file queued or in hand; they
    // describe the file only while it is failed (the attempts keep every diagnosis anyway).
    const failure =
      row.stage === null
        ? undefined
        : row.stage === 'preprocessing'
          ? toPreprocessingRecord(row as FailureRow)
          : toDocumentRecord(row as FailureRow, programId, this.bucket);
    const document =
      row.state === 'done' ? await this.queries.execute(new DocumentOfFileQuery(programId, sourceIndex)) : undefined;

    return {
      program_id: programId,
      index: row.source_index,
      file_path: row.source_file_path,
      state: row.state,
      stage: row.stage,
      error: failure?.error ?? null,
      error_code: failure?.error_code ?? null,
      retryable: failure?.retryable ?? null,
      retry_count: row.retry_count,
      next_retry_at: failure?.next_retry_at ?? null,
      exhausted: failure?.exhausted ?? null,
      timestamp: failure?.timestamp ?? null,
      s3_path: document?.s3Path ?? (failure && 's3_path' in failure ? failure.s3_path : row.processed_s3_path),
      document_id: document?.id ?? null,
      attempts: row.attempts,
    };
  }
}
