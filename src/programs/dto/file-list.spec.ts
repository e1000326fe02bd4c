import { validateFileList } from './file-list';

describe('validateFileList', () => {
  const sut = validateFileList;
  const codeOf = (files: unknown): string | undefined => {
    try {
      sut(files);
      return undefined;
    } catch (e) {
      return (e as { code: string }).code;
    }
  };

  it('accepts distinct s3 paths', () => {
    expect(sut(['s3://bucket-a/x.txt', 's3://bucket-a/dir/y.md'])).toHaveLength(2);
  });

  it.each([
    ['not a list', 's3://a/b', 'FILES_NOT_A_LIST'],
    ['empty', [], 'EMPTY_FILE_LIST'],
    ['too many', Array.from({ length: 100_001 }, (_, i) => `s3://bkt/${i}`), 'TOO_MANY_FILES'],
    ['http path', ['http://bkt/x'], 'INVALID_S3_PATH'],
    ['no key', ['s3://bkt/'], 'INVALID_S3_PATH'],
    ['bad bucket', ['s3://B/x'], 'INVALID_S3_PATH'],
    ['traversal', ['s3://bkt/a/../b'], 'INVALID_S3_PATH'],
    ['control char', ['s3://bkt/a\u0000b'], 'INVALID_S3_PATH'],
    ['number', [42], 'INVALID_S3_PATH'],
    ['duplicate', ['s3://bkt/a', 's3://bkt/a'], 'DUPLICATE_FILES'],
  ])('rejects %s', (_name, files, code) => {
    expect(codeOf(files)).toBe(code);
  });

  it('rejects a bucket the policy does not allow, naming the index but not the bucket', () => {
    const allowed = (bucket: string) => bucket === 'sources';
    expect(sut(['s3://sources/a.txt'], allowed)).toEqual(['s3://sources/a.txt']);
    expect(() => sut(['s3://sources/a.txt', 's3://programs/x.json'], allowed)).toThrow(
      expect.objectContaining({ code: 'SOURCE_BUCKET_NOT_ALLOWED', message: expect.stringContaining('files[1]') }),
    );
  });
});
