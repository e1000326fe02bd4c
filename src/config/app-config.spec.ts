import { loadConfig } from './app-config';

describe('loadConfig', () => {
  const sut = loadConfig;

  it('applies the documented defaults to an empty environment', () => {
    const c = sut({});
    expect(c.port).toBe(3000);
    expect(c.databaseUrl).toBeUndefined();
    expect(c.embeddedPgPort).toBe(54329);
    expect(c.s3).toEqual({
      endpoint: undefined,
      embedded: true,
      embeddedPort: 4569,
      region: 'us-east-1',
      forcePathStyle: true,
      bucket: 'programs',
    });
    expect(c.processing).toEqual({ concurrency: 16, maxSourceBytes: 52_428_800, preprocessTimeoutMs: 60_000 });
    expect(c.retry).toEqual({
      maxAttempts: 3,
      scanIntervalMs: 30_000,
      backoffBaseMs: 60_000,
      backoffMaxMs: 3_600_000,
      schedulerEnabled: true,
    });
    expect(c.failedFilesInlineLimit).toBe(1000);
    expect(c.maxBodyBytes).toBe(16_777_216);
  });

  it('uses a custom endpoint without embedding, path-style by default', () => {
    const c = sut({ S3_ENDPOINT: 'http://minio:9000' });
    expect(c.s3.embedded).toBe(false);
    expect(c.s3.forcePathStyle).toBe(true);
    expect(sut({ S3_EMBEDDED: 'false' }).s3).toMatchObject({ embedded: false, endpoint: undefined, forcePathStyle: false });
  });

  it.each([
    ['PORT', 'abc'],
    ['PORT', '70000'],
    ['PROCESSING_CONCURRENCY', '0'],
    ['DATABASE_URL', 'mysql://x'],
    ['S3_ENDPOINT', 'not a url'],
    ['S3_BUCKET', 'Bad_Bucket'],
    ['EMBEDDED_PG_PORT', '5432'],
    ['RETRY_SCHEDULER_ENABLED', 'maybe'],
    ['RETRY_BACKOFF_MAX_MS', '10'],
    ['LOG_LEVEL', 'loud'],
  ])('stops the boot on %s=%s, naming the variable', (name, value) => {
    expect(() => sut({ [name]: value })).toThrow(new RegExp(`^Invalid configuration: ${name} `));
  });
});
