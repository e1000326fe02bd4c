import { Injectable } from '@nestjs/common';
import { decodeCursor, encodeCursor } from '../common/paging/cursor';
import { ProgramsQueryService } from '../programs/programs-query.service';
import { DocumentsRepository } from './documents.repository';
import type { DocumentPageDto } from './dto/document.responses';

const isIndexCursor = (v: Record<string, unknown>): v is { i: number } => Number.isInteger(v.i);

@Injectable()
export class DocumentsService {
  constructor(
    private readonly documents: DocumentsRepository,
    private readonly programs: ProgramsQueryService,
  ) {}

  async list(programId: string, userId: string, limit: number, cursor?: string): Promise<DocumentPageDto> {
    await this.programs.assertOwned(programId, userId);
    const after = decodeCursor(cursor, isIndexCursor)?.i ?? -1;
    const rows = await this.documents.page(programId, after, limit + 1);
    const items = rows.slice(0, limit);
    return {
      items,
      next_cursor: rows.length > limit ? encodeCursor({ i: items[items.length - 1].source_index }) : null,
    };
  }
}
