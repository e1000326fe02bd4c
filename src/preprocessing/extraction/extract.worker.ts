import { buildProcessedJson, PreprocessOutcome, PreprocessTask } from './pipeline';

/**
 * Entry point of an extraction worker thread. The pool terminates the thread on timeout, so the
 * work itself needs no signal of its own; extractors still get one (never aborted here).
 */
export default function preprocessInWorker(task: PreprocessTask): Promise<PreprocessOutcome> {
  return buildProcessedJson(task, new AbortController().signal);
}
