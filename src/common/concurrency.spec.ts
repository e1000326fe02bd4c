import { forEachBounded } from './concurrency';

describe('forEachBounded', () => {
  const sut = forEachBounded;
  const tick = () => new Promise((r) => setImmediate(r));

  it('never runs more than the limit at once and runs every item', async () => {
    let active = 0;
    let peak = 0;
    const done: number[] = [];
    await sut([...Array(50).keys()], 4, new AbortController().signal, async (i) => {
      active++;
      peak = Math.max(peak, active);
      await tick();
      active--;
      done.push(i);
    });
    expect(peak).toBe(4);
    expect(done.sort((a, b) => a - b)).toEqual([...Array(50).keys()]);
  });

  it('pulls from an async source only as slots free up', async () => {
    let pulled = 0;
    let started = 0;
    async function* source() {
      for (let i = 0; i < 20; i++) {
        pulled++;
        // Read-ahead is bounded: at most one item waits beyond the running ones.
        expect(pulled - started).toBeLessThanOrEqual(3 + 1);
        yield i;
      }
    }
    await sut(source(), 3, new AbortController().signal, async () => {
      started++;
      await tick();
    });
    expect(started).toBe(20);
  });

  it('stops taking items once aborted and waits for those in flight', async () => {
    const ac = new AbortController();
    const finished: number[] = [];
    await sut([...Array(100).keys()], 2, ac.signal, async (i) => {
      if (i === 5) ac.abort();
      await tick();
      finished.push(i);
    });
    expect(finished.length).toBeGreaterThanOrEqual(6);
    expect(finished.length).toBeLessThan(10);
  });
});
