import { Body, Controller, Get, HttpCode, Param, Post, Query, Res } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBadRequestResponse,
  ApiBody,
  ApiConflictResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiServiceUnavailableResponse,
  ApiTags,
  ApiTooManyRequestsResponse,
} from '@nestjs/swagger';
import type { Response } from 'express';
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
@Controller('v1/programs/:programId')
export class RetryController {
  constructor(
    private readonly retries: RetryService,
    private readonly runs: ReadRetryRuns,
  ) {}

  @Post('retry')
  @HttpCode(200)
  @ApiBody({ type: RetryBodyDto, required: false })
  @ApiOkResponse({ type: RetryResponseDto, description: 'the retry ran; counts per stage' })
  @ApiAcceptedResponse({ type: RetryAcceptedDto, description: 'wait=false: the run has begun' })
  @ApiBadRequestResponse({ description: 'INVALID_RETRY_TYPE, INVALID_WAIT, INVALID_SELECTION, INVALID_USER_ID' })
  @ApiNotFoundResponse({ description: 'PROGRAM_NOT_FOUND' })
  @ApiConflictResponse({ description: 'PROGRAM_BUSY: the program is being processed or retried right now' })
  @ApiTooManyRequestsResponse({
    description: 'RETRY_CAPACITY: MAX_CONCURRENT_RETRIES are running here; see Retry-After',
  })
  @ApiServiceUnavailableResponse({ description: 'SHUTTING_DOWN: this instance is draining; see Retry-After' })
  async retry(
    @Param('programId') programId: string,
    @Query() q: RetryQuery,
    @Body() body: RetryBodyDto | undefined,
    @Res({ passthrough: true }) res: Response,
  ): Promise<RetryResponseDto | RetryAcceptedDto> {
    const selection = validateRetrySelection(body);
    const retryType = q.retry_type ?? 'all';
    if (q.wait === 'false') {
      res.status(202);
      return this.retries.retryInBackground(programId, q.user_id, retryType, selection);
    }
    return this.retries.retryNow(programId, q.user_id, retryType, selection);
  }

  @Get('retries')
  @ApiOkResponse({ type: RetryRunPageDto, description: 'runs newest first' })
  @ApiBadRequestResponse({ description: 'INVALID_LIMIT, INVALID_CURSOR, INVALID_USER_ID' })
  @ApiNotFoundResponse({ description: 'PROGRAM_NOT_FOUND' })
  list(@Param('programId') programId: string, @Query() q: RetryRunsQuery): Promise<RetryRunPageDto> {
    return this.runs.list(programId, q.user_id, q.limit ?? DEFAULT_PAGE_LIMIT, q.cursor);
  }

  @Get('retries/:retryId')
  @ApiOkResponse({ type: RetryRunDto })
  @ApiNotFoundResponse({ description: 'PROGRAM_NOT_FOUND, RETRY_NOT_FOUND' })
  one(
    @Param('programId') programId: string,
    @Param('retryId') retryId: string,
    @Query() q: UserScopedQuery,
  ): Promise<RetryRunDto> {
    return this.runs.one(programId, q.user_id, retryId);
  }
}
