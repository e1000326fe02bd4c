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
      requestTimeoutMs: 30_000,
      sourceBuckets: undefined,
      createBucket: true,
    });
    expect(c.db).toEqual({ statementTimeoutMs: 30_000, poolMax: 20, migrateOnBoot: true });
    expect(c.processing).toEqual({
      concurrency: 16,
      maxSourceBytes: 52_428_800,
      preprocessTimeoutMs: 60_000,
      maxTextChars: 5_000_000,
    });
    expect(c.retry).toEqual({
      maxAttempts: 3,
      scanIntervalMs: 30_000,
      backoffBaseMs: 60_000,
      backoffMaxMs: 3_600_000,
      schedulerEnabled: true,
      maxConcurrentManual: 8,
    });
    expect(c.shutdownGraceMs).toBe(25_000);
    expect(c.programsInParallel).toBe(4);
    expect(c.work).toEqual({ leaseTtlMs: 30_000, claimBatchSize: 64 });
    expect(c.failedFilesInlineLimit).toBe(1000);
    expect(c.retryHistoryInlineLimit).toBe(100);
    expect(c.failureBudget).toEqual({ maxFailedRatio: undefined, minFiles: 50 });
    expect(c.webhooks).toEqual({ allowedHosts: [], secret: undefined, retryBaseMs: 1000 });
    expect(c.maxBodyBytes).toBe(16_777_216);
    expect(c.auth).toEqual({
      mode: 'none',
      userHeader: 'x-authenticated-user',
      adminUsers: [],
      metricsToken: undefined,
      warnUnauthenticated: false,
    });
  });

  it('reads the identity settings, and warns of AUTH_MODE=none only on a real database', () => {
    const header = sut({
      AUTH_MODE: 'trusted-header',
      AUTH_USER_HEADER: 'X-Forwarded-User',
      AUTH_ADMIN_USERS: ' ops , alice,ops',
      METRICS_TOKEN: 'scrape-token-0123456789',
    });
    expect(header.auth).toEqual({
      mode: 'trusted-header',
      userHeader: 'x-forwarded-user',
      adminUsers: ['ops', 'alice'],
      metricsToken: 'scrape-token-0123456789',
      warnUnauthenticated: false,
    });
    expect(sut({ AUTH_MODE: 'api-key' }).auth.mode).toBe('api-key');
    const real = 'postgres://db.internal/ingest';
    expect(sut({ DATABASE_URL: real }).auth.warnUnauthenticated).toBe(true);
    expect(sut({ DATABASE_URL: real, AUTH_MODE: 'api-key' }).auth.warnUnauthenticated).toBe(false);
  });

  it('reads the failure budget and the webhook hosts', () => {
    const c = sut({
      FAILURE_BUDGET_RATIO: '0.25',
      FAILURE_BUDGET_MIN_FILES: '10',
      WEBHOOK_ALLOWED_HOSTS: ' Hooks.Example.com ,localhost,hooks.example.com',
      WEBHOOK_SECRET: 's3cret',
    });
    expect(c.failureBudget).toEqual({ maxFailedRatio: 0.25, minFiles: 10 });
    expect(c.webhooks).toEqual({
      allowedHosts: ['hooks.example.com', 'localhost'],
      secret: 's3cret',
      retryBaseMs: 1000,
    });
    expect(sut({ FAILURE_BUDGET_RATIO: '0' }).failureBudget.maxFailedRatio).toBe(0);
    expect(sut({ FAILURE_BUDGET_RATIO: '1' }).failureBudget.maxFailedRatio).toBe(1);
  });

  it('reads SOURCE_BUCKETS as a trimmed, de-duplicated list', () => {
    expect(sut({ SOURCE_BUCKETS: ' a-src , b-src,a-src ' }).s3.sourceBuckets).toEqual(['a-src', 'b-src']);
  });

  it('takes the region from S3_REGION, else AWS_REGION', () => {
    expect(sut({ AWS_REGION: 'eu-west-1' }).s3.region).toBe('eu-west-1');
    expect(sut({ AWS_REGION: 'eu-west-1', S3_REGION: 'ap-northeast-2' }).s3.region).toBe('ap-northeast-2');
  });

  it('uses a custom endpoint without embedding, path-style by default', () => {
    const c = sut({ S3_ENDPOINT: 'http://minio:9000' });
    expect(c.s3.embedded).toBe(false);
    expect(c.s3.createBucket).toBe(false);
    expect(c.s3.forcePathStyle).toBe(true);
    expect(sut({ S3_EMBEDDED: 'false' }).s3).toMatchObject({
      embedded: false,
      endpoint: undefined,
      forcePathStyle: false,
    });
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
    ['S3_REQUEST_TIMEOUT_MS', '0'],
    ['DB_STATEMENT_TIMEOUT_MS', '0'],
    ['MAX_TEXT_CHARS', '-1'],
    ['MAX_CONCURRENT_RETRIES', '0'],
    ['PROGRAMS_IN_PARALLEL', '0'],
    ['LEASE_TTL_MS', '10'],
    ['CLAIM_BATCH_SIZE', '0'],
    ['SHUTDOWN_GRACE_MS', 'soon'],
    ['SOURCE_BUCKETS', 'ok-bucket,Bad_Bucket'],
    ['SOURCE_BUCKETS', ' , '],
    ['SOURCE_BUCKETS', 'sources,programs'],
    ['RETRY_HISTORY_INLINE_LIMIT', '-1'],
    ['FAILURE_BUDGET_RATIO', '1.5'],
    ['FAILURE_BUDGET_RATIO', 'half'],
    ['FAILURE_BUDGET_RATIO', '-0.1'],
    ['FAILURE_BUDGET_MIN_FILES', 'x'],
    ['WEBHOOK_ALLOWED_HOSTS', 'https://hooks.example.com'],
    ['WEBHOOK_ALLOWED_HOSTS', 'hooks.example.com:8080'],
    ['WEBHOOK_RETRY_BASE_MS', '0'],
    ['DB_POOL_MAX', '3'],
    ['MIGRATE_ON_BOOT', 'sometimes'],
    ['S3_CREATE_BUCKET', 'yes please'],
    ['AUTH_MODE', 'basic'],
    ['AUTH_USER_HEADER', 'x user'],
    ['AUTH_USER_HEADER', 'Authorization'],
    ['AUTH_ADMIN_USERS', 'ops'],
    ['METRICS_TOKEN', 'short'],
    ['METRICS_TOKEN', 'has a space in it somewhere'],
  ])('stops the boot on %s=%s, naming the variable', (name, value) => {
    expect(() => sut({ [name]: value })).toThrow(new RegExp(`^Invalid configuration: ${name} `));
  });
});
