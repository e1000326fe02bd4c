import { Body, Controller, Get, Headers, HttpCode, Logger, Param, Post, Query, Res } from '@nestjs/common';
import type { Response } from 'express';
import {
  ApiAcceptedResponse,
  ApiBearerAuth,
  ApiExtraModels,
  ApiHeader,
  ApiNotModifiedResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Caller } from '../common/auth/caller.decorator';
import type { Identity } from '../common/auth/identity';
import {
  ApiErrorResponses,
  AUTH_CODES,
  BODY_CODES,
  INTERNAL_CODES,
  MISMATCH_CODES,
  USER_ID_CODES,
} from '../common/dto/api-responses';
import { DEFAULT_PAGE_LIMIT, UserScopedQuery } from '../common/dto/user-scoped.query';
import { CorrelationId } from '../common/http/correlation-id';
import { logMessage } from '../database/sql';
import { CreateProgramDto } from './dto/create-program.dto';
import { ExportFailuresQuery, FailuresQuery, FileParams, ListProgramsQuery } from './dto/program-queries';
import {
  DocumentFailureItemDto,
  FailureCountsDto,
  FailurePageDto,
  FileStoryDto,
  PreprocessingFailureItemDto,
  ProgramAcceptedDto,
  ProgramCancelledDto,
  ProgramDto,
  ProgramPageDto,
} from './dto/program.responses';
import { ProgramsService } from './programs.service';
import { CancelProgram } from './use-cases/cancel-program';

const ETAG_HEADER = {
  ETag: {
    description: "the program's version: send it back as If-None-Match",
    required: true,
    schema: { type: 'string' },
  },
} as const;

@ApiTags('programs')
@ApiBearerAuth('api-key')
@Controller('v1/programs')
export class ProgramsController {
  private readonly logger = new Logger(ProgramsController.name);

  constructor(
    private readonly programs: ProgramsService,
    private readonly cancels: CancelProgram,
  ) {}

  @Post()
  @HttpCode(202)
  @ApiOperation({ operationId: 'createProgram', summary: 'create a program of S3 files; processing starts at once' })
  @ApiHeader({
    name: 'Idempotency-Key',
    required: false,
    description:
      'repeat a create safely: the same key and body answer the same program, a different body 409 IDEMPOTENCY_CONFLICT',
    schema: { type: 'string', minLength: 1, maxLength: 200, pattern: '^[!-~]{1,200}$' },
  })
  @ApiAcceptedResponse({ type: ProgramAcceptedDto, description: 'accepted; processing runs in the background' })
  @ApiErrorResponses({
    400: [
      ...USER_ID_CODES,
      'INVALID_NAME',
      'FILES_NOT_A_LIST',
      'EMPTY_FILE_LIST',
      'TOO_MANY_FILES',
      'INVALID_S3_PATH',
      'SOURCE_BUCKET_NOT_ALLOWED',
      'DUPLICATE_FILES',
      'INVALID_IDEMPOTENCY_KEY',
      'INVALID_FAILURE_BUDGET',
      'INVALID_WEBHOOK_URL',
      'WEBHOOK_NOT_ALLOWED',
      ...BODY_CODES,
    ],
    401: AUTH_CODES,
    403: MISMATCH_CODES,
    409: { codes: ['IDEMPOTENCY_CONFLICT'], note: 'this Idempotency-Key came with another body' },
    413: ['PAYLOAD_TOO_LARGE'],
    415: ['INVALID_BODY'],
    500: INTERNAL_CODES,
  })
  create(
    @Query() _q: UserScopedQuery,
    @Caller() caller: Identity,
    @Body() body: CreateProgramDto,
    @Headers('idempotency-key') idempotencyKey: string | undefined,
    @CorrelationId() correlationId: string,
  ): Promise<ProgramAcceptedDto> {
    return this.programs.create(caller, body, idempotencyKey, correlationId);
  }

  @Get()
  @ApiOperation({
    operationId: 'listPrograms',
    summary: "the caller's programs, newest first; an admin's all_users=true lists every user's",
  })
  @ApiOkResponse({ type: ProgramPageDto, description: 'newest first; each item with its file counts' })
  @ApiErrorResponses({
    400: [...USER_ID_CODES, 'INVALID_STATUS', 'INVALID_LIMIT', 'INVALID_CURSOR', 'INVALID_ALL_USERS'],
    401: AUTH_CODES,
    403: {
      codes: [...MISMATCH_CODES, 'ADMIN_REQUIRED'],
      note: 'user_id names another user than the authenticated one, or all_users=true from a caller who is not an admin',
    },
    500: INTERNAL_CODES,
  })
  list(@Query() q: ListProgramsQuery, @Caller() caller: Identity): Promise<ProgramPageDto> {
    return this.programs.list(caller, q.limit ?? DEFAULT_PAGE_LIMIT, q.cursor, q.status, q.all_users === 'true');
  }

  @Get(':programId')
  @ApiOperation({ operationId: 'getProgram', summary: 'one program, with its metadata_json' })
  @ApiHeader({
    name: 'If-None-Match',
    required: false,
    description: 'the ETag of a previous answer: 304 while unchanged',
  })
  // Sent through @Res() as prepared JSON text; the schema is what that text holds.
  @ApiOkResponse({ type: ProgramDto, headers: ETAG_HEADER })
  @ApiNotModifiedResponse({
    description: 'unchanged since the ETag sent in If-None-Match; no body',
    headers: ETAG_HEADER,
  })
  @ApiErrorResponses({
    400: USER_ID_CODES,
    401: AUTH_CODES,
    403: MISMATCH_CODES,
    404: ['PROGRAM_NOT_FOUND'],
    500: INTERNAL_CODES,
  })
  async get(
    @Param('programId') programId: string,
    @Query() _q: UserScopedQuery,
    @Caller() caller: Identity,
    @Headers('if-none-match') ifNoneMatch: string | undefined,
    @Res() res: Response,
  ): Promise<void> {
    const { body, version } = await this.programs.getJson(programId, caller);
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
  @ApiOperation({ operationId: 'listFailures', summary: 'every failure record, paged, each with its stage' })
  @ApiExtraModels(PreprocessingFailureItemDto, DocumentFailureItemDto)
  @ApiOkResponse({ type: FailurePageDto })
  @ApiErrorResponses({
    400: [...USER_ID_CODES, 'INVALID_STAGE', 'INVALID_ERROR_CODE', 'INVALID_LIMIT', 'INVALID_CURSOR'],
    401: AUTH_CODES,
    403: MISMATCH_CODES,
    404: ['PROGRAM_NOT_FOUND'],
    500: INTERNAL_CODES,
  })
  failures(
    @Param('programId') programId: string,
    @Query() q: FailuresQuery,
    @Caller() caller: Identity,
  ): Promise<FailurePageDto> {
    return this.programs.failures(programId, caller, q.stage, q.limit ?? DEFAULT_PAGE_LIMIT, q.cursor, q.error_code);
  }

  @Get(':programId/failures/counts')
  @ApiOperation({
    operationId: 'countFailures',
    summary: 'failures counted by stage and error code (all of them, not only the inline ones)',
  })
  @ApiOkResponse({ type: FailureCountsDto })
  @ApiErrorResponses({
    400: USER_ID_CODES,
    401: AUTH_CODES,
    403: MISMATCH_CODES,
    404: ['PROGRAM_NOT_FOUND'],
    500: INTERNAL_CODES,
  })
  failureCounts(
    @Param('programId') programId: string,
    @Query() _q: UserScopedQuery,
    @Caller() caller: Identity,
  ): Promise<FailureCountsDto> {
    return this.programs.failureCounts(programId, caller);
  }

  @Get(':programId/failures/export')
  @ApiOperation({
    operationId: 'exportFailures',
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
  @ApiOkResponse({
    description: 'the records, as an attachment',
    headers: {
      'Content-Disposition': {
        description: 'attachment, with a file name naming the program',
        required: true,
        schema: { type: 'string' },
      },
    },
    content: {
      'text/csv': { schema: { type: 'string' } },
      'application/x-ndjson': { schema: { type: 'string' } },
    },
  })
  @ApiErrorResponses({
    400: [...USER_ID_CODES, 'INVALID_FORMAT', 'INVALID_STAGE'],
    401: AUTH_CODES,
    403: MISMATCH_CODES,
    404: ['PROGRAM_NOT_FOUND'],
    500: INTERNAL_CODES,
  })
  async exportFailures(
    @Param('programId') programId: string,
    @Query() q: ExportFailuresQuery,
    @Caller() caller: Identity,
    @Res() res: Response,
  ): Promise<void> {
    // Refusals (404, a database down before the first page) are thrown from here, still as JSON.
    const out = await this.programs.exportFailures(programId, caller, q.format ?? 'csv', q.stage);
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
  @ApiOperation({
    operationId: 'getFileStory',
    summary: "one file's state, failure record, Document and every attempt made at it",
  })
  @ApiOkResponse({ type: FileStoryDto })
  @ApiErrorResponses({
    400: [...USER_ID_CODES, 'INVALID_INDEX'],
    401: AUTH_CODES,
    403: MISMATCH_CODES,
    404: ['PROGRAM_NOT_FOUND', 'FILE_NOT_FOUND'],
    500: INTERNAL_CODES,
  })
  fileStory(@Param() p: FileParams, @Query() _q: UserScopedQuery, @Caller() caller: Identity): Promise<FileStoryDto> {
    return this.programs.fileStory(p.programId, caller, Number(p.index));
  }

  @Post(':programId/cancel')
  @HttpCode(202)
  @ApiOperation({
    operationId: 'cancelProgram',
    summary: 'stop the first run: unsettled files become CANCELLED failures and the program settles cancelled',
  })
  @ApiAcceptedResponse({ type: ProgramCancelledDto })
  @ApiErrorResponses({
    400: USER_ID_CODES,
    401: AUTH_CODES,
    403: MISMATCH_CODES,
    404: ['PROGRAM_NOT_FOUND'],
    409: { codes: ['PROGRAM_NOT_RUNNING'], note: 'the first run has settled already' },
    500: INTERNAL_CODES,
  })
  cancel(
    @Param('programId') programId: string,
    @Query() _q: UserScopedQuery,
    @Caller() caller: Identity,
  ): Promise<ProgramCancelledDto> {
    return this.cancels.cancel(programId, caller);
  }
}
