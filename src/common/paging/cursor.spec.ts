import { indexAfter, isCursorTimestamp, pageBySourceIndex } from './cursor';

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

  it.each([
    ['a huge integer', { i: 1e30 }],
    ['past the int range', { i: 2 ** 31 }],
    ['negative', { i: -5 }],
    ['a fraction', { i: 1.5 }],
    ['a numeric string', { i: '7' }],
    ['an array', [1]],
    ['null', null],
  ])('refuses a tampered cursor holding %s with INVALID_CURSOR', (_name, value) => {
    const cursor = Buffer.from(JSON.stringify(value)).toString('base64url');
    expect(() => indexAfter(cursor)).toThrow(expect.objectContaining({ code: 'INVALID_CURSOR', httpStatus: 400 }));
  });
});

describe('isCursorTimestamp', () => {
  it.each([
    ['2026-11-30T08:13:13.123456Z', true],
    ['2026-02-30T00:00:00.000000Z', false],
    ['2026-11-30T08:13:13.123Z', false],
    ['1', false],
    ['May 5', false],
    ['2026-11-30 08:13:13.123456+00', false],
  ])('%s → %s', (value, expected) => {
    expect(isCursorTimestamp(value)).toBe(expected);
  });
});
