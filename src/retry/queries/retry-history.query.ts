import { Query } from '@nestjs/cqrs';
import type { RetryHistoryEntry } from '../../events/catalogue';

/** The program's ended retry runs, oldest first, as metadata_json.retry_history lists them. */
export class RetryHistoryQuery extends Query<RetryHistoryEntry[]> {
  constructor(readonly programId: string) {
    super();
  }
}
