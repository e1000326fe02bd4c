import * as sut from './index';

describe('preprocessing/text index', () => {
  it('re-exports the public API', () => {
    expect(typeof sut.decodeText).toBe('function');
    expect(typeof sut.looksBinary).toBe('function');
    expect(typeof sut.normalizeText).toBe('function');
    expect(typeof sut.chunkText).toBe('function');
    expect(typeof sut.textStats).toBe('function');
    expect(new sut.TextDecodeError('x')).toBeInstanceOf(Error);
  });
});
