import { Injectable } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { ShuttingDownError } from '../common/errors/domain.error';
import { ProgramNotFoundError } from '../common/errors/program-not-found.error';
import { Lifecycle } from '../common/lifecycle';
import type { RetryTypeName } from '../events/catalogue';
import { ProgramStatusQuery } from '../programs/queries/program-status.query';
import type { RetryResponseDto } from './dto/retry.dto';
import { RunRetry } from './use-cases/run-retry.use-case';

/** The seed's completion message ("retry completed"), kept verbatim for its clients. */
export const RETRY_DONE_MESSAGE = '재시도 완료';

/** The manual retry: an operator asked, so every failed file of the chosen stages is retried. */
@Injectable()
export class RetryService {
  constructor(
    private readonly retries: RunRetry,
    private readonly queries: QueryBus,
    private readonly lifecycle: Lifecycle,
  ) {}

  /**
   * Retries now and answers when done; 409 PROGRAM_BUSY when someone is working on the program,
   * 429 RETRY_CAPACITY past MAX_CONCURRENT_RETRIES here, 503 SHUTTING_DOWN after SIGTERM.
   */
  async retryNow(programId: string, userId: string, retryType: RetryTypeName): Promise<RetryResponseDto> {
    if (this.lifecycle.shuttingDown) throw new ShuttingDownError();
    if (!(await this.queries.execute(new ProgramStatusQuery(programId, userId)))) throw new ProgramNotFoundError();
    const done = await this.retries.run({ programId, retryType, trigger: 'manual' });
    if (!done) throw new Error(`manual retry of ${programId} returned no results`);
    return { program_id: programId, retry_type: retryType, results: done.results, message: RETRY_DONE_MESSAGE };
  }
}
