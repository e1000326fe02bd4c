import { GroupCommit } from './group-commit';

describe('GroupCommit', () => {
  it('writes items that arrive together in one batch and answers each caller', async () => {
    const batches: number[][] = [];
    const sut = new GroupCommit<number, number>(async (items) => {
      batches.push(items);
      return items.map((i) => i * 10);
    });
    const results = await Promise.all([1, 2, 3].map((i) => sut.add(i)));
    expect(results).toEqual([10, 20, 30]);
    expect(batches).toEqual([[1, 2, 3]]);
  });

  it('collects what arrives during a write into the next batch, capped at maxBatch', async () => {
    const batches: number[][] = [];
    let release!: () => void;
    const firstWrite = new Promise<void>((r) => (release = r));
    const sut = new GroupCommit<number, number>(async (items) => {
      batches.push(items);
      if (batches.length === 1) await firstWrite;
      return items;
    }, 2);
    const first = sut.add(0);
    await new Promise((r) => setImmediate(r));
    const later = [1, 2, 3].map((i) => sut.add(i));
    release();
    await Promise.all([first, ...later]);
    expect(batches).toEqual([[0], [1, 2], [3]]);
  });

  it('fails every item of a failed batch and keeps serving afterwards', async () => {
    let fail = true;
    const sut = new GroupCommit<string, string>(async (items) => {
      if (fail) throw new Error('database gone');
      return items;
    });
    await expect(Promise.all([sut.add('a'), sut.add('b')])).rejects.toThrow('database gone');
    fail = false;
    await expect(sut.add('c')).resolves.toBe('c');
  });
});
