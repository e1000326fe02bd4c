import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Caller } from '../common/auth/caller.decorator';
import type { Identity } from '../common/auth/identity';
import {
  ApiErrorResponses,
  AUTH_CODES,
  INTERNAL_CODES,
  MISMATCH_CODES,
  USER_ID_CODES,
} from '../common/dto/api-responses';
import { DEFAULT_PAGE_LIMIT, PagedQuery } from '../common/dto/user-scoped.query';
import { DocumentsService } from './documents.service';
import { DocumentPageDto } from './dto/document.responses';

@ApiTags('documents')
@ApiBearerAuth('api-key')
@Controller('v1/programs/:programId/documents')
export class DocumentsController {
  constructor(private readonly documents: DocumentsService) {}

  @Get()
  @ApiOperation({ operationId: 'listDocuments', summary: "the program's Documents, by source index" })
  @ApiOkResponse({ type: DocumentPageDto })
  @ApiErrorResponses({
    400: [...USER_ID_CODES, 'INVALID_LIMIT', 'INVALID_CURSOR'],
    401: AUTH_CODES,
    403: MISMATCH_CODES,
    404: ['PROGRAM_NOT_FOUND'],
    500: INTERNAL_CODES,
  })
  list(
    @Param('programId') programId: string,
    @Query() q: PagedQuery,
    @Caller() caller: Identity,
  ): Promise<DocumentPageDto> {
    return this.documents.list(programId, caller, q.limit ?? DEFAULT_PAGE_LIMIT, q.cursor);
  }
}
