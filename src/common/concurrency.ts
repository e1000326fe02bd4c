import pLimit from 'p-limit';

/**
 * Runs `fn` over `items` with at most `concurrency` in flight, pulling items only as slots free up
 * (an async source such as a paged query is never read far ahead, so memory stays flat). Stops
 * taking new items once `signal` aborts; waits for those in flight. `fn` must handle its own errors.
 */
export async function forEachBounded<T>(
  items: Iterable<T> | AsyncIterable<T>,
  concurrency: number,
  signal: AbortSignal,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  const limit = pLimit(concurrency);
  const inflight = new Set<Promise<void>>();
  for await (const item of items) {
    if (signal.aborted) break;
    const task = limit(() => fn(item));
    inflight.add(task);
    void task.finally(() => inflight.delete(task));
    if (limit.activeCount + limit.pendingCount >= concurrency) await Promise.race(inflight);
  }
  await Promise.all(inflight);
}
