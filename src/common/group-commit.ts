/**
 * Group commit: callers add one item each and await their own result, while the items that arrive
 * during a write are written together by the next one. No timer and no added latency when idle:
 * a lone item is written at once; under load one statement serves many files.
 */
export class GroupCommit<T, R> {
  private queue: { item: T; resolve: (r: R) => void; reject: (e: unknown) => void }[] = [];
  private writing = false;

  /** `write` returns one result per item, in order; if it throws, every item of that batch fails. */
  constructor(
    private readonly write: (items: T[]) => Promise<R[]>,
    private readonly maxBatch = 500,
  ) {}

  add(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      if (!this.writing) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.writing = true;
    // Let the callers that are ready in this turn of the event loop join the first batch.
    await new Promise((r) => setImmediate(r));
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, this.maxBatch);
      try {
        const results = await this.write(batch.map((b) => b.item));
        batch.forEach((b, i) => b.resolve(results[i]));
      } catch (e) {
        for (const b of batch) b.reject(e);
      }
    }
    this.writing = false;
  }
}
