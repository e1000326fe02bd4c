import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiErrorResponses, INTERNAL_CODES, USER_ID_CODES } from '../common/dto/api-responses';
import { DEFAULT_PAGE_LIMIT, PagedQuery } from '../common/dto/user-scoped.query';
import { DocumentsService } from './documents.service';
import { DocumentPageDto } from './dto/document.responses';

@ApiTags('documents')
@Controller('v1/programs/:programId/documents')
export class DocumentsController {
  constructor(private readonly documents: DocumentsService) {}

  @Get()
  @ApiOperation({ operationId: 'listDocuments', summary: "the program's Documents, by source index" })
  @ApiOkResponse({ type: DocumentPageDto })
  @ApiErrorResponses({
    400: [...USER_ID_CODES, 'INVALID_LIMIT', 'INVALID_CURSOR'],
    404: ['PROGRAM_NOT_FOUND'],
    500: INTERNAL_CODES,
  })
  list(@Param('programId') programId: string, @Query() q: PagedQuery): Promise<DocumentPageDto> {
    return this.documents.list(programId, q.user_id, q.limit ?? DEFAULT_PAGE_LIMIT, q.cursor);
  }
}
