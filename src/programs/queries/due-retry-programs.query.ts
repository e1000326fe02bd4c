import { Query } from '@nestjs/cqrs';

/**
 * Programs with at least one failure the scheduler may retry by `dueBy`, longest overdue first,
 * leaving out programs whose first run is not over.
 */
export class DueRetryProgramsQuery extends Query<string[]> {
  constructor(
    readonly dueBy: Date,
    readonly maxAttempts: number,
    readonly limit: number,
  ) {
    super();
  }
}
