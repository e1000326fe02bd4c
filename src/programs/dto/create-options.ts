import { InvalidRequestError } from '../../common/errors/domain.error';
import type { FailureBudget } from '../settle.policy';

const MAX_URL_LENGTH = 2048;

/**
 * The create body's `failure_budget` (SPEC §8.4), else the configured default; undefined = none.
 * `min_files` may be left out: the configured FAILURE_BUDGET_MIN_FILES applies.
 */
export function validateFailureBudget(
  raw: unknown,
  defaults: { maxFailedRatio?: number; minFiles: number },
): FailureBudget | undefined {
  if (raw === undefined || raw === null) {
    return defaults.maxFailedRatio === undefined
      ? undefined
      : { maxFailedRatio: defaults.maxFailedRatio, minFiles: defaults.minFiles };
  }
  const bad = (why: string) => new InvalidRequestError('INVALID_FAILURE_BUDGET', `failure_budget ${why}`);
  if (typeof raw !== 'object' || Array.isArray(raw)) throw bad('must be an object');
  const { max_failed_ratio: ratio, min_files: minFiles, ...rest } = raw as Record<string, unknown>;
  const extra = Object.keys(rest);
  if (extra.length > 0) throw bad(`has an unknown field ${JSON.stringify(extra[0]).slice(0, 60)}`);
  if (typeof ratio !== 'number' || !Number.isFinite(ratio) || ratio < 0 || ratio > 1) {
    throw bad('.max_failed_ratio must be a number from 0 to 1');
  }
  if (
    minFiles !== undefined &&
    (!Number.isInteger(minFiles) || (minFiles as number) < 0 || (minFiles as number) > 100_000)
  ) {
    throw bad('.min_files must be a whole number from 0 to 100000');
  }
  return { maxFailedRatio: ratio, minFiles: (minFiles as number | undefined) ?? defaults.minFiles };
}

/**
 * The create body's `webhook_url` (SPEC §8.5): an http(s) URL without credentials whose host is in
 * WEBHOOK_ALLOWED_HOSTS. The allow-list is what keeps the service from being made to POST into
 * places its operator did not choose (an internal admin API, a metadata endpoint).
 */
export function validateWebhookUrl(raw: unknown, allowedHosts: readonly string[]): string | undefined {
  if (raw === undefined || raw === null) return undefined;
  const invalid = () => new InvalidRequestError('INVALID_WEBHOOK_URL', 'webhook_url must be an http or https URL');
  if (typeof raw !== 'string' || raw.length > MAX_URL_LENGTH) throw invalid();
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw invalid();
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.username !== '' || url.password !== '') {
    throw invalid();
  }
  if (!allowedHosts.includes(url.hostname.toLowerCase())) {
    throw new InvalidRequestError('WEBHOOK_NOT_ALLOWED', 'webhook_url names a host that is not allowed');
  }
  return url.toString();
}
