import { PollLoop } from './poll-loop';

/** A look that waits until the test lets it end, counting how often it started. */
function gatedLook() {
  let started = 0;
  let release: () => void = () => undefined;
  let began: () => void = () => undefined;
  let nextStart = new Promise<void>((r) => (began = r));
  return {
    look: () => {
      started++;
      began();
      return new Promise<void>((r) => (release = r));
    },
    get started() {
      return started;
    },
    /** Resolves once a look has started that the test has not seen yet. */
    async nextStarted(): Promise<void> {
      await nextStart;
      nextStart = new Promise<void>((r) => (began = r));
    },
    finish: () => release(),
  };
}

const settle = () => new Promise((r) => setImmediate(r));

// A lost kick shows as a look that never starts: fail in seconds, not at the suite's two minutes.
jest.setTimeout(5_000);

describe('PollLoop', () => {
  // An hour between polls: every look in these tests comes from the start or a kick, never the clock.
  const HOUR = 3_600_000;

  /** A loop on a gated look, its first look started and held. */
  async function startedGated() {
    const g = gatedLook();
    const sut = new PollLoop(HOUR, g.look, () => undefined);
    sut.start();
    await g.nextStarted();
    return { g, sut };
  }

  it('looks at once on start, then only when kicked', async () => {
    const { g, sut } = await startedGated();
    g.finish();
    await settle();
    expect(g.started).toBe(1);

    sut.kick();
    await g.nextStarted();
    expect(g.started).toBe(2);
    g.finish();
    await sut.stop();
    expect(g.started).toBe(2);
  });

  it('looks again at once when kicked while a look is running, and only once for many kicks', async () => {
    const { g, sut } = await startedGated();
    sut.kick();
    sut.kick();
    sut.kick();
    g.finish();
    await g.nextStarted();
    expect(g.started).toBe(2);
    g.finish();
    await settle();
    await settle();
    expect(g.started).toBe(2);
    await sut.stop();
  });

  it('reports a look that throws and goes on looking', async () => {
    const errors: unknown[] = [];
    let looks = 0;
    let kicked: () => void = () => undefined;
    const second = new Promise<void>((r) => (kicked = r));
    const sut = new PollLoop(
      HOUR,
      () => {
        looks++;
        if (looks === 2) kicked();
        return looks === 1 ? Promise.reject(new Error('database gone')) : Promise.resolve();
      },
      (e) => errors.push(e),
    );
    sut.start();
    await settle();
    expect(errors).toEqual([new Error('database gone')]);
    sut.kick();
    await second;
    expect(looks).toBe(2);
    await sut.stop();
  });

  it('stop waits for the look in progress and starts no other', async () => {
    const { g, sut } = await startedGated();
    sut.kick();
    let stopped = false;
    const stopping = sut.stop().then(() => (stopped = true));
    await settle();
    expect(stopped).toBe(false);
    g.finish();
    await stopping;
    expect(g.started).toBe(1);
  });

  it('a poll looks without a kick', async () => {
    let looks = 0;
    let second: () => void = () => undefined;
    const polled = new Promise<void>((r) => (second = r));
    const sut = new PollLoop(
      1,
      () => {
        if (++looks === 2) second();
        return Promise.resolve();
      },
      () => undefined,
    );
    sut.start();
    await polled;
    await sut.stop();
    expect(looks).toBeGreaterThanOrEqual(2);
  });
});
