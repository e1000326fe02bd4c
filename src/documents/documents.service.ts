import { Injectable } from '@nestjs/common';
import { indexAfter, pageBySourceIndex } from '../common/paging/cursor';
import { ProgramsQueryService } from '../programs/programs-query.service';
import { DocumentsRepository } from './documents.repository';
import type { DocumentPageDto } from './dto/document.responses';

@Injectable()
export class DocumentsService {
  constructor(
    private readonly documents: DocumentsRepository,
    private readonly programs: ProgramsQueryService,
  ) {}

  async list(programId: string, userId: string, limit: number, cursor?: string): Promise<DocumentPageDto> {
    await this.programs.assertOwned(programId, userId);
    const rows = await this.documents.page(programId, indexAfter(cursor), limit + 1);
    return pageBySourceIndex(rows, limit, (row) => row);
  }
}
