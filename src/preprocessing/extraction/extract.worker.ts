import {
  buildProcessedJson,
  PreprocessOutcome,
  PreprocessTask,
  RestampOutcome,
  RestampTask,
  restampProcessedJson,
} from './pipeline';

/**
 * Entry point of an extraction worker thread. The pool terminates the thread on timeout, so the
 * work itself needs no signal of its own; extractors still get one (never aborted here).
 */
export default function inWorker(task: PreprocessTask | RestampTask): Promise<PreprocessOutcome | RestampOutcome> {
  if (task.kind === 'restamp') return Promise.resolve(restampProcessedJson(task));
  return buildProcessedJson(task, new AbortController().signal);
}
