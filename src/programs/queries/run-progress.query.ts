import { Query } from '@nestjs/cqrs';

/** Files of a retry run not settled yet (queued, or held by a worker somewhere). */
export class RunUnsettledFilesQuery extends Query<number> {
  constructor(readonly runId: string) {
    super();
  }
}

export interface AttemptTally {
  entry_stage: 'preprocessing' | 'document';
  stage: 'preprocessing' | 'document';
  outcome: 'succeeded' | 'failed';
  n: number;
}

/** The attempts a retry run made, grouped by where each began and ended and how. */
export class RunAttemptsQuery extends Query<AttemptTally[]> {
  constructor(readonly runId: string) {
    super();
  }
}
