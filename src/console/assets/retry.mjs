import { api } from './api.mjs';
import { fmt } from './dom.mjs';
import { sleep } from './poll.mjs';

/**
 * Starts a retry without waiting (202 + retry_id) and follows the run until it has ended, so the
 * page stays responsive however many files it takes. Refusals (409, 429, 503) reject with ApiError.
 */
export async function runRetry(programId, retryType, indexes, { signal, onUpdate } = {}) {
  const started = await api.retry(programId, retryType, indexes);
  const { retry_id: retryId, skipped } = started.body;
  onUpdate?.({ retry_id: retryId, status: 'running', results: null, skipped });
  let delay = 250;
  for (;;) {
    await sleep(delay, signal);
    delay = Math.min(1000, delay * 2);
    const run = (await api.retryRun(programId, retryId, signal)).body;
    onUpdate?.(run);
    if (run.status !== 'running') return run;
  }
}

const stage = (name, r) =>
  r && r.retried > 0
    ? `${name}: ${fmt(r.retried)} retried, ${fmt(r.success)} recovered, ${fmt(r.failed)} still failing`
    : null;

/** "preprocessing: 3 retried, 2 recovered, 1 still failing · document: …" */
export function describeRun(run) {
  const parts = [stage('preprocessing', run.results?.preprocessing), stage('document', run.results?.document)].filter(
    Boolean,
  );
  if (parts.length === 0) parts.push('no failed file was selected');
  if (run.skipped) parts.push(`${fmt(run.skipped)} skipped (not failed files of that stage)`);
  return parts.join(' · ');
}
