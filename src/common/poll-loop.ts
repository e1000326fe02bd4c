/**
 * A loop that looks for work in the database: it looks, then sleeps until the next poll or until it
 * is kicked, whichever comes first, until it is stopped. The poll only bounds how late work written
 * by another replica is seen; work made here kicks the loop. A kick that arrives while a look is
 * running makes the loop look again at once rather than sleep, so no kick is lost between the end
 * of a look and the start of the sleep. A look that throws is reported and the loop goes on: the
 * next poll looks again.
 */
export class PollLoop {
  private wake: () => void = () => undefined;
  private kicked = false;
  private stopped = false;
  private running?: Promise<void>;

  constructor(
    private readonly intervalMs: number,
    private readonly look: () => Promise<void>,
    private readonly onError: (e: unknown) => void,
  ) {}

  start(): void {
    this.running ??= this.run();
  }

  /** Look now (or again as soon as the look in progress ends), not at the next poll. */
  kick(): void {
    this.kicked = true;
    this.wake();
  }

  /** No look starts after this; resolves when the look in progress, if any, has ended. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.wake();
    await this.running;
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      this.kicked = false;
      try {
        await this.look();
      } catch (e) {
        this.onError(e);
      }
      if (this.kicked || this.stopped) continue;
      // The promise's executor runs at once: between the check above and the new `wake` no kick
      // can come in, since both are on this turn of the event loop.
      await new Promise<void>((resolve) => {
        // A sleeping loop alone keeps no process alive: the server does, and stop() ends the loop.
        const t = setTimeout(resolve, this.intervalMs).unref();
        this.wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
    }
  }
}
