import { isAllowedSourceBucket } from './source-policy';

describe('isAllowedSourceBucket', () => {
  const sut = isAllowedSourceBucket;

  it('allows any bucket but the output bucket when no list is configured', () => {
    expect(sut('sources', { bucket: 'programs' })).toBe(true);
    expect(sut('programs', { bucket: 'programs' })).toBe(false);
  });

  it('allows only listed buckets when a list is configured', () => {
    const s3 = { bucket: 'programs', sourceBuckets: ['a-src', 'b-src'] };
    expect(sut('a-src', s3)).toBe(true);
    expect(sut('c-src', s3)).toBe(false);
  });

  it('never allows the output bucket, even when listed', () => {
    expect(sut('programs', { bucket: 'programs', sourceBuckets: ['programs'] })).toBe(false);
  });
});
