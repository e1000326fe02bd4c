import { Body, Controller, Get, Headers, HttpCode, Param, Post, Query, Res } from '@nestjs/common';
import type { Response } from 'express';
import { ApiAcceptedResponse, ApiHeader, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { DEFAULT_PAGE_LIMIT, PagedQuery, UserScopedQuery } from '../common/dto/user-scoped.query';
import { CorrelationId } from '../common/http/correlation-id';
import { CreateProgramDto } from './dto/create-program.dto';
import { FailuresQuery } from './dto/program-queries';
import { FailurePageDto, ProgramAcceptedDto, ProgramDto, ProgramPageDto } from './dto/program.responses';
import { ProgramsService } from './programs.service';

@ApiTags('programs')
@Controller('v1/programs')
export class ProgramsController {
  constructor(private readonly programs: ProgramsService) {}

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
  @ApiOkResponse({ type: ProgramPageDto })
  list(@Query() q: PagedQuery): Promise<ProgramPageDto> {
    return this.programs.list(q.user_id, q.limit ?? DEFAULT_PAGE_LIMIT, q.cursor);
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
  failures(@Param('programId') programId: string, @Query() q: FailuresQuery): Promise<FailurePageDto> {
    return this.programs.failures(programId, q.user_id, q.stage, q.limit ?? DEFAULT_PAGE_LIMIT, q.cursor);
  }
}
