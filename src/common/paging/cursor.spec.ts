import { indexAfter, pageBySourceIndex } from './cursor';

describe('source-index paging', () => {
  const rows = [0, 3, 5].map((source_index) => ({ source_index }));

  it('cuts at the limit and points the cursor after the last row returned', () => {
    const sut = pageBySourceIndex(rows, 2, (r) => r.source_index);
    expect(sut.items).toEqual([0, 3]);
    expect(indexAfter(sut.next_cursor!)).toBe(3);
  });

  it('has no next page when the extra row is absent', () => {
    expect(pageBySourceIndex(rows, 3, (r) => r.source_index)).toEqual({ items: [0, 3, 5], next_cursor: null });
    expect(indexAfter(undefined)).toBe(-1);
  });

  it('refuses a cursor it did not make', () => {
    expect(() => indexAfter('garbage')).toThrow('cursor is not valid');
  });
});
