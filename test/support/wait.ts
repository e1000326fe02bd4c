/**
 * Asks `probe` again and again until it gives a value (anything but undefined) and returns that
 * value; fails after `timeoutMs` naming what it waited for. `what` may be a function, for a detail
 * (a process's output, say) that is only worth reading when the wait fails. A probe that asks a
 * service under test for a whole program's state asks less often (`everyMs`), not to load it.
 */
export async function eventually<T>(
  probe: () => T | undefined | Promise<T | undefined>,
  what: string | (() => string),
  timeoutMs = 60_000,
  everyMs = 25,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${typeof what === 'string' ? what : what()}`);
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** `eventually` for a condition: resolves once it holds. */
export async function until(
  cond: () => boolean | Promise<boolean>,
  what: string | (() => string),
  timeoutMs = 60_000,
  everyMs = 25,
): Promise<void> {
  await eventually(async () => ((await cond()) ? true : undefined), what, timeoutMs, everyMs);
}
