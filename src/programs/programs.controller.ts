import { Body, Controller, Get, Headers, HttpCode, Logger, Param, Post, Query, Res } from '@nestjs/common';
import type { Response } from 'express';
import {
  ApiAcceptedResponse,
  ApiBadRequestResponse,
  ApiConflictResponse,
  ApiHeader,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiProduces,
  ApiTags,
} from '@nestjs/swagger';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { DEFAULT_PAGE_LIMIT, UserScopedQuery } from '../common/dto/user-scoped.query';
import { CorrelationId } from '../common/http/correlation-id';
import { logMessage } from '../database/sql';
import { CreateProgramDto } from './dto/create-program.dto';
import { ExportFailuresQuery, FailuresQuery, FileParams, ListProgramsQuery } from './dto/program-queries';
import {
  FailureCountsDto,
  FailurePageDto,
  FileStoryDto,
  ProgramAcceptedDto,
  ProgramCancelledDto,
  ProgramDto,
  ProgramPageDto,
} from './dto/program.responses';
import { ProgramsService } from './programs.service';
import { CancelProgram } from './use-cases/cancel-program';

@ApiTags('programs')
@Controller('v1/programs')
export class ProgramsController {
  private readonly logger = new Logger(ProgramsController.name);

  constructor(
    private readonly programs: ProgramsService,
    private readonly cancels: CancelProgram,
  ) {}

  @Post()
  @HttpCode(202)
  @ApiHeader({ name: 'Idempotency-Key', required: false, description: 'repeat a create safely' })
  @ApiAcceptedResponse({ type: ProgramAcceptedDto, description: 'accepted; processing runs in the background' })
  create(
    @Query() q: UserScopedQuery,
    @Body() body: CreateProgramDto,
    @Headers('idempotency-key') idempotencyKey: string | undefined,
    @CorrelationId() correlationId: string,
  ): Promise<ProgramAcceptedDto> {
    return this.programs.create(q.user_id, body, idempotencyKey, correlationId);
  }

  @Get()
  @ApiOkResponse({ type: ProgramPageDto, description: 'newest first; each item with its file counts' })
  @ApiBadRequestResponse({ description: 'INVALID_STATUS, INVALID_LIMIT, INVALID_CURSOR, INVALID_USER_ID' })
  list(@Query() q: ListProgramsQuery): Promise<ProgramPageDto> {
    return this.programs.list(q.user_id, q.limit ?? DEFAULT_PAGE_LIMIT, q.cursor, q.status);
  }

  @Get(':programId')
  @ApiOkResponse({ type: ProgramDto })
  @ApiHeader({
    name: 'If-None-Match',
    required: false,
    description: 'the ETag of a previous answer: 304 while unchanged',
  })
  async get(
    @Param('programId') programId: string,
    @Query() q: UserScopedQuery,
    @Headers('if-none-match') ifNoneMatch: string | undefined,
    @Res() res: Response,
  ): Promise<void> {
    const { body, version } = await this.programs.getJson(programId, q.user_id);
    // Pollers re-ask often; while the program is unchanged they get 304 and no body.
    const etag = `"${version}"`;
    res.setHeader('ETag', etag);
    if (ifNoneMatch === etag) {
      res.status(304).end();
      return;
    }
    res.type('application/json').send(body);
  }

  @Get(':programId/failures')
  @ApiOkResponse({ type: FailurePageDto })
  @ApiBadRequestResponse({ description: 'INVALID_STAGE, INVALID_ERROR_CODE, INVALID_LIMIT, INVALID_CURSOR' })
  @ApiNotFoundResponse({ description: 'PROGRAM_NOT_FOUND' })
  failures(@Param('programId') programId: string, @Query() q: FailuresQuery): Promise<FailurePageDto> {
    return this.programs.failures(programId, q.user_id, q.stage, q.limit ?? DEFAULT_PAGE_LIMIT, q.cursor, q.error_code);
  }

  @Get(':programId/failures/counts')
  @ApiOperation({ summary: 'failures counted by stage and error code (all of them, not only the inline ones)' })
  @ApiOkResponse({ type: FailureCountsDto })
  @ApiBadRequestResponse({ description: 'INVALID_USER_ID' })
  @ApiNotFoundResponse({ description: 'PROGRAM_NOT_FOUND' })
  failureCounts(@Param('programId') programId: string, @Query() q: UserScopedQuery): Promise<FailureCountsDto> {
    return this.programs.failureCounts(programId, q.user_id);
  }

  @Get(':programId/failures/export')
  @ApiOperation({
    summary: 'every failure record, streamed (no paging)',
    description:
      'Both stages unless `stage` is given, ordered by stage (preprocessing, then document) and source index. ' +
      '`csv`: columns stage, index, file_path, error_code, retryable, retry_count, exhausted, next_retry_at, ' +
      'timestamp, error (index is the source index for both stages), RFC 4180 quoting, CRLF line ends. ' +
      'Text cells that would start with `=`, `+`, `-`, `@`, a tab or a carriage return are prefixed with an ' +
      "apostrophe (`'`) so that spreadsheets show them as text instead of running them as formulas. " +
      '`jsonl`: one failure record per line, as the items of GET …/failures (with `stage`). ' +
      'A failure after the download has started ends it abruptly (the transfer is incomplete), never with a ' +
      'partial body that looks whole.',
  })
  @ApiProduces('text/csv', 'application/x-ndjson')
  @ApiOkResponse({
    description: 'the records, as an attachment',
    content: {
      'text/csv': { schema: { type: 'string' } },
      'application/x-ndjson': { schema: { type: 'string' } },
    },
  })
  @ApiBadRequestResponse({ description: 'INVALID_FORMAT, INVALID_STAGE, INVALID_USER_ID' })
  @ApiNotFoundResponse({ description: 'PROGRAM_NOT_FOUND' })
  async exportFailures(
    @Param('programId') programId: string,
    @Query() q: ExportFailuresQuery,
    @Res() res: Response,
  ): Promise<void> {
    // Refusals (404, a database down before the first page) are thrown from here, still as JSON.
    const out = await this.programs.exportFailures(programId, q.user_id, q.format ?? 'csv', q.stage);
    res.status(200);
    res.setHeader('Content-Type', out.contentType);
    res.setHeader('Content-Disposition', `attachment; filename="${out.filename}"`);
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('X-Content-Type-Options', 'nosniff');
    try {
      // One chunk buffered at most: the body reads its next page only once the socket has taken
      // what came before, and pipeline ends the body when the client goes away.
      await pipeline(Readable.from(out.body, { highWaterMark: 1 }), res);
    } catch (e) {
      // The headers are out: all that is left is to cut the transfer, which pipeline has done (the
      // client sees an incomplete response, not an error body glued to half a file).
      if ((e as { code?: unknown }).code === 'ERR_STREAM_PREMATURE_CLOSE') {
        this.logger.debug(`export of ${programId} ended by the client`);
      } else {
        this.logger.warn(`export of ${programId} cut short: ${logMessage(e)}`);
      }
    }
  }

  @Get(':programId/files/:index')
  @ApiOperation({ summary: "one file's state, failure record, Document and every attempt made at it" })
  @ApiOkResponse({ type: FileStoryDto })
  @ApiBadRequestResponse({ description: 'INVALID_INDEX, INVALID_USER_ID' })
  @ApiNotFoundResponse({ description: 'PROGRAM_NOT_FOUND, FILE_NOT_FOUND' })
  fileStory(@Param() p: FileParams, @Query() q: UserScopedQuery): Promise<FileStoryDto> {
    return this.programs.fileStory(p.programId, q.user_id, Number(p.index));
  }

  @Post(':programId/cancel')
  @HttpCode(202)
  @ApiOperation({
    summary: 'stop the first run: unsettled files become CANCELLED failures and the program settles cancelled',
  })
  @ApiAcceptedResponse({ type: ProgramCancelledDto })
  @ApiBadRequestResponse({ description: 'INVALID_USER_ID' })
  @ApiNotFoundResponse({ description: 'PROGRAM_NOT_FOUND' })
  @ApiConflictResponse({ description: 'PROGRAM_NOT_RUNNING: the first run has settled already' })
  cancel(@Param('programId') programId: string, @Query() q: UserScopedQuery): Promise<ProgramCancelledDto> {
    return this.cancels.cancel(programId, q.user_id);
  }
}
