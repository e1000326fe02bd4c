import { IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import type { RetryHistoryEntry } from '../../events/catalogue';
import { RetryHistoryQuery } from '../queries/retry-history.query';
import { RetryRunsRepository } from '../retry-runs.repository';

@QueryHandler(RetryHistoryQuery)
export class RetryHistoryHandler implements IQueryHandler<RetryHistoryQuery, RetryHistoryEntry[]> {
  constructor(private readonly runs: RetryRunsRepository) {}

  execute({ programId }: RetryHistoryQuery): Promise<RetryHistoryEntry[]> {
    return this.runs.history(programId);
  }
}
