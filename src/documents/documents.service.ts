import { Injectable } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import type { Identity } from '../common/auth/identity';
import { ProgramNotFoundError } from '../common/errors/program-not-found.error';
import { indexAfter, pageBySourceIndex } from '../common/paging/cursor';
import { ProgramStatusQuery } from '../programs/queries/program-status.query';
import { DocumentsRepository } from './documents.repository';
import type { DocumentPageDto } from './dto/document.responses';

@Injectable()
export class DocumentsService {
  constructor(
    private readonly documents: DocumentsRepository,
    private readonly queries: QueryBus,
  ) {}

  async list(programId: string, caller: Identity, limit: number, cursor?: string): Promise<DocumentPageDto> {
    if (!(await this.queries.execute(new ProgramStatusQuery(programId, caller)))) throw new ProgramNotFoundError();
    const rows = await this.documents.page(programId, indexAfter(cursor), limit + 1);
    return pageBySourceIndex(rows, limit, (row) => row);
  }
}
