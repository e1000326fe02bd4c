import { parseS3Uri, processedJsonProblem, processedKey } from './processed-json';

describe('processed JSON', () => {
  const valid = {
    schema_version: 1,
    program_id: 'prog_1',
    source_index: 7,
    source_file_path: 's3://src/a.txt',
    content_type: 'text/plain',
    title: 'a.txt',
    text: 'hello',
    chunks: [{ index: 0, text: 'hello', char_start: 0, char_end: 5 }],
    stats: { characters: 5, words: 1, pages: 1 },
    sha256: 'a'.repeat(64),
    processed_at: '2026-01-01T00:00:00.000Z',
  };

  it('names the key after the program and the index', () => {
    expect(processedKey('prog_1', 7)).toBe('programs/prog_1/processed_prog_1_7.json');
  });

  it('accepts what the service writes', () => {
    expect(processedJsonProblem(valid, 'prog_1', 7)).toBeUndefined();
  });

  it.each<[string, unknown]>([
    ['not an object', [valid]],
    ['another file', { ...valid, source_index: 8 }],
    ['another schema', { ...valid, schema_version: 2 }],
    ['no text', { ...valid, text: undefined }],
    ['empty text', { ...valid, text: '' }],
    ['bad digest', { ...valid, sha256: 'xyz' }],
    ['no chunks', { ...valid, chunks: {} }],
    ['no stats', { ...valid, stats: null }],
  ])('rejects %s', (_name, value) => {
    expect(processedJsonProblem(value, 'prog_1', 7)).toEqual(expect.any(String));
  });

  it('parses s3 URIs and refuses malformed ones', () => {
    expect(parseS3Uri('s3://my-bucket/a/b.txt')).toEqual({ bucket: 'my-bucket', key: 'a/b.txt' });
    expect(parseS3Uri('s3://my-bucket')).toBeUndefined();
    expect(parseS3Uri('s3://my-bucket//a')).toBeUndefined();
  });
});
