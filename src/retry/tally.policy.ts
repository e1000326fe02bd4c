import type { RetryResults } from '../events/catalogue';

/** One group of a run's attempts: where the passes began their work, where they ended, and how. */
export interface AttemptGroup {
  entry_stage: 'preprocessing' | 'document';
  stage: 'preprocessing' | 'document';
  outcome: 'succeeded' | 'failed';
  n: number;
}

/**
 * The seed's retry counts from a run's attempts: a pass that began at preprocessing counts once
 * under `preprocessing`, and if it reached Document storage it counts under `document` too; a pass
 * that began at Document storage counts under `document` only. (A Document retry whose processed
 * JSON had to be made again is recorded as beginning at preprocessing.)
 */
export function tallyAttempts(groups: readonly AttemptGroup[]): RetryResults {
  const r: RetryResults = {
    preprocessing: { retried: 0, success: 0, failed: 0 },
    document: { retried: 0, success: 0, failed: 0 },
  };
  for (const g of groups) {
    if (g.entry_stage === 'preprocessing') {
      r.preprocessing.retried += g.n;
      if (g.stage === 'preprocessing') {
        r.preprocessing.failed += g.n;
        continue;
      }
      r.preprocessing.success += g.n;
    }
    r.document.retried += g.n;
    if (g.outcome === 'succeeded') r.document.success += g.n;
    else r.document.failed += g.n;
  }
  return r;
}
