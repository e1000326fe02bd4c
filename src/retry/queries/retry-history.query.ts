import { Query } from '@nestjs/cqrs';
import type { RetryHistoryWindow } from '../../events/catalogue';

/**
 * The program's ended retry runs as metadata_json.retry_history lists them: the newest `limit`,
 * oldest first, with the count of all.
 */
export class RetryHistoryQuery extends Query<RetryHistoryWindow> {
  constructor(
    readonly programId: string,
    readonly limit: number,
  ) {
    super();
  }
}
