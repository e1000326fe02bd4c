import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { DEFAULT_PAGE_LIMIT, PagedQuery } from '../common/dto/user-scoped.query';
import { DocumentsService } from './documents.service';
import { DocumentPageDto } from './dto/document.responses';

@ApiTags('documents')
@Controller('v1/programs/:programId/documents')
export class DocumentsController {
  constructor(private readonly documents: DocumentsService) {}

  @Get()
  @ApiOkResponse({ type: DocumentPageDto })
  list(@Param('programId') programId: string, @Query() q: PagedQuery): Promise<DocumentPageDto> {
    return this.documents.list(programId, q.user_id, q.limit ?? DEFAULT_PAGE_LIMIT, q.cursor);
  }
}
