import { Injectable } from '@nestjs/common';
import { ShuttingDownError } from '../common/errors/domain.error';
import { Lifecycle } from '../common/lifecycle';
import { meta } from '../events/bus-event';
import { ProgramRetryRequestedEvent, RetryTypeName } from '../events/catalogue';
import { EventBus } from '../events/event-bus';
import { ProgramsQueryService } from '../programs/programs-query.service';
import type { RetryResponseDto } from './dto/retry.dto';

/** The seed's completion message ("retry completed"), kept verbatim for its clients. */
export const RETRY_DONE_MESSAGE = '재시도 완료';

@Injectable()
export class RetryService {
  constructor(
    private readonly programs: ProgramsQueryService,
    private readonly bus: EventBus,
    private readonly lifecycle: Lifecycle,
  ) {}

  /**
   * Retries now and answers when done; 409 PROGRAM_BUSY when someone is working on the program,
   * 429 RETRY_CAPACITY past MAX_CONCURRENT_RETRIES here, 503 SHUTTING_DOWN after SIGTERM.
   */
  async retryNow(programId: string, userId: string, retryType: RetryTypeName, correlationId: string): Promise<RetryResponseDto> {
    if (this.lifecycle.shuttingDown) throw new ShuttingDownError();
    await this.programs.assertOwned(programId, userId);
    const results = await this.bus.request(
      new ProgramRetryRequestedEvent({ programId, retryType, trigger: 'manual', ...meta(correlationId) }),
    );
    if (!results) throw new Error(`manual retry of ${programId} returned no results`);
    return { program_id: programId, retry_type: retryType, results, message: RETRY_DONE_MESSAGE };
  }
}
