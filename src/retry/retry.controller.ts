import { Body, Controller, Get, HttpCode, Param, Post, Query, Res } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBearerAuth, ApiBody, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
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
import {
  RetryAcceptedDto,
  RetryBodyDto,
  RetryQuery,
  RetryResponseDto,
  RetryRunDto,
  RetryRunPageDto,
  RetryRunsQuery,
} from './dto/retry.dto';
import { validateRetrySelection } from './dto/retry-selection';
import { RetryService } from './retry.service';
import { ReadRetryRuns } from './use-cases/read-runs';

@ApiTags('retry')
@ApiBearerAuth('api-key')
@Controller('v1/programs/:programId')
export class RetryController {
  constructor(
    private readonly retries: RetryService,
    private readonly runs: ReadRetryRuns,
  ) {}

  @Post('retry')
  @HttpCode(200)
  @ApiOperation({
    operationId: 'retryProgram',
    summary: 'retry failed files (all, or selected ones); answers when done, or at once with wait=false',
  })
  @ApiBody({ type: RetryBodyDto, required: false })
  @ApiOkResponse({ type: RetryResponseDto, description: 'the retry ran; counts per stage' })
  @ApiAcceptedResponse({ type: RetryAcceptedDto, description: 'wait=false: the run has begun' })
  @ApiErrorResponses({
    400: [...USER_ID_CODES, 'INVALID_RETRY_TYPE', 'INVALID_WAIT', 'INVALID_SELECTION', ...BODY_CODES],
    401: AUTH_CODES,
    403: MISMATCH_CODES,
    404: ['PROGRAM_NOT_FOUND'],
    409: { codes: ['PROGRAM_BUSY'], note: 'the program is being processed or retried right now' },
    413: ['PAYLOAD_TOO_LARGE'],
    415: ['INVALID_BODY'],
    429: { codes: ['RETRY_CAPACITY'], note: 'MAX_CONCURRENT_RETRIES are running on this instance' },
    500: INTERNAL_CODES,
    503: {
      codes: ['SHUTTING_DOWN', 'RETRY_INTERRUPTED'],
      note: 'this instance is draining, or the waiting retry lost the program (its files still settle)',
    },
  })
  async retry(
    @Param('programId') programId: string,
    @Query() q: RetryQuery,
    @Caller() caller: Identity,
    @Body() body: RetryBodyDto | undefined,
    @Res({ passthrough: true }) res: Response,
  ): Promise<RetryResponseDto | RetryAcceptedDto> {
    const selection = validateRetrySelection(body);
    const retryType = q.retry_type ?? 'all';
    if (q.wait === 'false') {
      res.status(202);
      return this.retries.retryInBackground(programId, caller, retryType, selection);
    }
    return this.retries.retryNow(programId, caller, retryType, selection);
  }

  @Get('retries')
  @ApiOperation({ operationId: 'listRetryRuns', summary: "the program's retry runs, manual and scheduled" })
  @ApiOkResponse({ type: RetryRunPageDto, description: 'runs newest first' })
  @ApiErrorResponses({
    400: [...USER_ID_CODES, 'INVALID_LIMIT', 'INVALID_CURSOR'],
    401: AUTH_CODES,
    403: MISMATCH_CODES,
    404: ['PROGRAM_NOT_FOUND'],
    500: INTERNAL_CODES,
  })
  list(
    @Param('programId') programId: string,
    @Query() q: RetryRunsQuery,
    @Caller() caller: Identity,
  ): Promise<RetryRunPageDto> {
    return this.runs.list(programId, caller, q.limit ?? DEFAULT_PAGE_LIMIT, q.cursor);
  }

  @Get('retries/:retryId')
  @ApiOperation({ operationId: 'getRetryRun', summary: 'one retry run; a running one is counted live' })
  @ApiOkResponse({ type: RetryRunDto })
  @ApiErrorResponses({
    400: USER_ID_CODES,
    401: AUTH_CODES,
    403: MISMATCH_CODES,
    404: ['PROGRAM_NOT_FOUND', 'RETRY_NOT_FOUND'],
    500: INTERNAL_CODES,
  })
  one(
    @Param('programId') programId: string,
    @Param('retryId') retryId: string,
    @Query() _q: UserScopedQuery,
    @Caller() caller: Identity,
  ): Promise<RetryRunDto> {
    return this.runs.one(programId, caller, retryId);
  }
}
