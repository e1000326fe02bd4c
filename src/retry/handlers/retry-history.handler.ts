import { IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import type { RetryHistoryWindow } from '../../events/catalogue';
import { RetryHistoryQuery } from '../queries/retry-history.query';
import { RetryRunsRepository } from '../retry-runs.repository';

@QueryHandler(RetryHistoryQuery)
export class RetryHistoryHandler implements IQueryHandler<RetryHistoryQuery, RetryHistoryWindow> {
  constructor(private readonly runs: RetryRunsRepository) {}

  execute({ programId, limit }: RetryHistoryQuery): Promise<RetryHistoryWindow> {
    return this.runs.history(programId, limit);
  }
}
