import { Injectable, Logger } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import type { Identity } from '../common/auth/identity';
import { ShuttingDownError } from '../common/errors/domain.error';
import { ProgramNotFoundError } from '../common/errors/program-not-found.error';
import { Lifecycle } from '../common/lifecycle';
import { logMessage } from '../database/sql';
import type { RetryTypeName } from '../events/catalogue';
import { ProgramStatusQuery } from '../programs/queries/program-status.query';
import type { RetryAcceptedDto, RetryResponseDto } from './dto/retry.dto';
import type { RetrySelection } from './dto/retry-selection';
import { RetryInterruptedError } from './errors/retry.errors';
import { RunRetry } from './use-cases/run-retry.use-case';

/** The seed's completion message ("retry completed"), kept verbatim for its clients. */
export const RETRY_DONE_MESSAGE = '재시도 완료';

/** The manual retry: an operator asked, so every failed file of the chosen stages (or the selected ones) is retried. */
@Injectable()
export class RetryService {
  private readonly logger = new Logger(RetryService.name);

  constructor(
    private readonly retries: RunRetry,
    private readonly queries: QueryBus,
    private readonly lifecycle: Lifecycle,
  ) {}

  /**
   * Retries now and answers when done; 409 PROGRAM_BUSY when someone is working on the program,
   * 429 RETRY_CAPACITY past MAX_CONCURRENT_RETRIES here, 503 SHUTTING_DOWN after SIGTERM.
   */
  async retryNow(
    programId: string,
    caller: Identity,
    retryType: RetryTypeName,
    selection?: RetrySelection,
  ): Promise<RetryResponseDto> {
    const started = await this.begin(programId, caller, retryType, selection);
    const done = await started.done;
    return {
      program_id: programId,
      retry_id: done.runId,
      retry_type: retryType,
      results: done.results,
      skipped: done.skipped,
      message: RETRY_DONE_MESSAGE,
    };
  }

  /**
   * Starts the retry and answers once its files are queued (`wait=false`): the run goes on here,
   * holding the program lock, and is followed at GET …/retries/{retry_id}. Refusals (409, 429, 503)
   * are the same as for a waiting call, since they are decided before the answer.
   */
  async retryInBackground(
    programId: string,
    caller: Identity,
    retryType: RetryTypeName,
    selection?: RetrySelection,
  ): Promise<RetryAcceptedDto> {
    const started = await this.begin(programId, caller, retryType, selection);
    // Nobody awaits this run: its end is in the run row. A holder that stops early (SIGTERM, a
    // lost lock) leaves the run `running`, and the sweep ends it `interrupted`.
    started.done.catch((e: unknown) => {
      if (e instanceof RetryInterruptedError) return;
      this.logger.error(`retry ${started.runId} of ${programId} failed: ${logMessage(e)}`);
    });
    return { program_id: programId, retry_id: started.runId, status: 'running', skipped: started.skipped };
  }

  private async begin(programId: string, caller: Identity, retryType: RetryTypeName, selection?: RetrySelection) {
    if (this.lifecycle.shuttingDown) throw new ShuttingDownError();
    if (!(await this.queries.execute(new ProgramStatusQuery(programId, caller)))) throw new ProgramNotFoundError();
    const started = await this.retries.start({ programId, retryType, trigger: 'manual', selection });
    if (!started) throw new Error(`manual retry of ${programId} did not start`);
    return started;
  }
}
