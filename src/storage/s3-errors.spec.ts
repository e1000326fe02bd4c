import { S3ServiceException } from '@aws-sdk/client-s3';
import { bucketRegionOf, classifyS3Error, isWrongRegion, redirectRegion, S3CallContext } from './s3-errors';
import { StorageError } from './storage.errors';

/** An error as the SDK throws it for an S3 error answer: name from the XML Code, status, raw headers. */
function s3Error(
  name: string,
  status: number,
  headers: Record<string, string> = {},
  fields: Record<string, unknown> = {},
): S3ServiceException {
  const e = new S3ServiceException({
    name,
    $fault: status >= 500 ? 'server' : 'client',
    $metadata: { httpStatusCode: status, attempts: 1, totalRetryDelay: 0 },
    message: `${name} from the server`,
  });
  Object.assign(e, fields);
  (e as { $response?: unknown }).$response = {
    statusCode: status,
    headers: { 'content-type': 'application/xml', ...headers },
  };
  return e;
}

const source: S3CallContext = {
  where: 's3://src/a.txt',
  region: 'us-east-1',
  outputBucket: false,
  requestTimeoutMs: 30_000,
};
const output: S3CallContext = { ...source, where: 's3://programs/x.json', outputBucket: true };

const classify = (e: unknown, ctx = source) => {
  const err = classifyS3Error(e, ctx);
  return { kind: err.kind, message: err.message };
};

describe('wrong-region answers', () => {
  it.each([
    [
      'PermanentRedirect (301) naming the region',
      s3Error('PermanentRedirect', 301, { 'x-amz-bucket-region': 'eu-west-1' }),
    ],
    ['PermanentRedirect (301) naming none', s3Error('PermanentRedirect', 301)],
    ['a bodiless 301 to a HEAD', s3Error('Unknown', 301)],
    [
      'AuthorizationHeaderMalformed naming the region in its body',
      s3Error('AuthorizationHeaderMalformed', 400, {}, { Region: 'ap-south-1' }),
    ],
    [
      'AuthorizationHeaderMalformed naming it in the header',
      s3Error('AuthorizationHeaderMalformed', 400, { 'x-amz-bucket-region': 'ap-south-1' }),
    ],
    ['IllegalLocationConstraintException', s3Error('IllegalLocationConstraintException', 400)],
    ['a bodiless 400 to a HEAD naming the region', s3Error('Unknown', 400, { 'x-amz-bucket-region': 'me-south-1' })],
  ])('%s is one', (_case, e) => {
    expect(isWrongRegion(e)).toBe(true);
  });

  it.each([
    ['AuthorizationHeaderMalformed naming no region', s3Error('AuthorizationHeaderMalformed', 400)],
    ['a bodiless 400 naming no region', s3Error('Unknown', 400)],
    ['TemporaryRedirect (307)', s3Error('TemporaryRedirect', 307, { 'x-amz-bucket-region': 'eu-west-1' })],
    ['NoSuchKey', s3Error('NoSuchKey', 404, { 'x-amz-bucket-region': 'eu-west-1' })],
    ['a network error', Object.assign(new Error('connect ECONNREFUSED 10.0.0.1:443'), { code: 'ECONNREFUSED' })],
    ['not an object', 'boom'],
  ])('%s is not', (_case, e) => {
    expect(isWrongRegion(e)).toBe(false);
  });

  it('takes the region from the header before the body, and only a region-shaped one', () => {
    expect(bucketRegionOf(s3Error('X', 301, { 'x-amz-bucket-region': 'eu-west-1' }, { Region: 'us-west-2' }))).toBe(
      'eu-west-1',
    );
    expect(bucketRegionOf(s3Error('X', 301, {}, { Region: 'us-west-2' }))).toBe('us-west-2');
    expect(bucketRegionOf(s3Error('X', 301, { 'x-amz-bucket-region': 'eu-west-1\r\nx: y' }))).toBeUndefined();
    expect(bucketRegionOf(s3Error('X', 301, { 'X-Amz-Bucket-Region': 'sa-east-1' }))).toBe('sa-east-1');
    expect(bucketRegionOf(undefined)).toBeUndefined();
  });

  it('is followed only to a region it names other than the one asked', () => {
    const named = s3Error('PermanentRedirect', 301, { 'x-amz-bucket-region': 'eu-west-1' });
    expect(redirectRegion(named, 'us-east-1')).toBe('eu-west-1');
    // Already there and still refused: going round in circles helps nobody.
    expect(redirectRegion(named, 'eu-west-1')).toBeUndefined();
    expect(redirectRegion(s3Error('PermanentRedirect', 301), 'us-east-1')).toBeUndefined();
    // A region in the header of some other failure is no redirect.
    expect(redirectRegion(s3Error('InternalError', 500, { 'x-amz-bucket-region': 'eu-west-1' }), 'us-east-1')).toBe(
      undefined,
    );
  });
});

describe('classifyS3Error', () => {
  it('a wrong region on a source is wrong_region (not retryable), saying which region S3 named', () => {
    expect(classify(s3Error('PermanentRedirect', 301, { 'x-amz-bucket-region': 'eu-west-1' }))).toEqual({
      kind: 'wrong_region',
      message: 's3://src/a.txt: the bucket is not in region us-east-1 (S3 says eu-west-1)',
    });
    expect(classify(s3Error('PermanentRedirect', 301))).toEqual({
      kind: 'wrong_region',
      message: 's3://src/a.txt: the bucket is not in region us-east-1 (S3 did not say where)',
    });
    expect(classify(s3Error('IllegalLocationConstraintException', 400)).kind).toBe('wrong_region');
    expect(classify(s3Error('AuthorizationHeaderMalformed', 400, {}, { Region: 'ap-south-1' })).kind).toBe(
      'wrong_region',
    );
  });

  it('a wrong region on the output bucket is unavailable: fixing S3_REGION makes the same file succeed', () => {
    expect(classify(s3Error('PermanentRedirect', 301), output)).toEqual({
      kind: 'unavailable',
      message: 's3://programs/x.json: the bucket is not in region us-east-1 (S3 did not say where); check S3_REGION',
    });
  });

  it('a missing output bucket is unavailable, not a missing source; a missing object in it is not_found', () => {
    expect(classify(s3Error('NoSuchBucket', 404), output)).toEqual({
      kind: 'unavailable',
      message: 's3://programs/x.json: the output bucket does not exist',
    });
    expect(classify(s3Error('NoSuchKey', 404), output).kind).toBe('not_found');
    // HeadBucket's bodiless 404: what boot and readiness look for.
    expect(classify(s3Error('NotFound', 404), output).kind).toBe('not_found');
  });

  it('keeps the other classes as they were', () => {
    expect(classify(s3Error('NoSuchKey', 404)).kind).toBe('not_found');
    expect(classify(s3Error('NoSuchBucket', 404)).kind).toBe('not_found');
    expect(classify(s3Error('NotFound', 404)).kind).toBe('not_found');
    expect(classify(s3Error('AccessDenied', 403))).toEqual({
      kind: 'denied',
      message: 's3://src/a.txt: access denied',
    });
    expect(classify(s3Error('Forbidden', 403)).kind).toBe('denied');
    expect(classify(s3Error('TemporaryRedirect', 307)).kind).toBe('unavailable');
    expect(classify(s3Error('AuthorizationHeaderMalformed', 400)).kind).toBe('unavailable');
    expect(classify(s3Error('SlowDown', 503))).toEqual({
      kind: 'unavailable',
      message: 's3://src/a.txt: storage unavailable: SlowDown (HTTP 503)',
    });
    const abort = Object.assign(new Error('The operation was aborted'), { name: 'AbortError' });
    expect(classify(abort).kind).toBe('aborted');
    const existing = new StorageError('too_large', 'object is over the limit');
    expect(classifyS3Error(existing, source)).toBe(existing);
  });

  it('a network error names its code, never the address in its message', () => {
    const e = Object.assign(new Error('connect ECONNREFUSED 10.1.2.3:9000'), { code: 'ECONNREFUSED' });
    expect(classify(e)).toEqual({ kind: 'unavailable', message: 's3://src/a.txt: storage unavailable: ECONNREFUSED' });
    expect(classify(s3Error('<script>', 500)).message).toBe('s3://src/a.txt: storage unavailable: error (HTTP 500)');
    expect(classify({}).message).toBe('s3://src/a.txt: storage unavailable: network error');
  });

  it('the signal that ended the call decides before the error does', () => {
    const fired = AbortSignal.abort();
    const quiet = new AbortController().signal;
    const redirect = s3Error('PermanentRedirect', 301);
    expect(classify(redirect, { ...source, caller: fired, deadline: quiet }).kind).toBe('aborted');
    expect(classify(redirect, { ...source, caller: quiet, deadline: fired })).toEqual({
      kind: 'unavailable',
      message: 's3://src/a.txt: storage did not answer within 30000 ms',
    });
  });
});
