import { ConfigError } from './config.error';

/** Everything the service reads from the environment, validated once at boot. */
export interface AppConfig {
  port: number;
  dataDir: string;
  /** Unset → an embedded PostgreSQL is started and this is filled in before the app boots. */
  databaseUrl?: string;
  embeddedPgPort: number;
  s3: {
    /** Unset with embedded=false → AWS S3 itself. */
    endpoint?: string;
    embedded: boolean;
    embeddedPort: number;
    region: string;
    forcePathStyle: boolean;
    bucket: string;
    /** Deadline of every S3 call; past it the call fails STORAGE_UNAVAILABLE (retryable). */
    requestTimeoutMs: number;
    /** Buckets sources may come from; undefined = any bucket except `bucket` (never a source). */
    sourceBuckets?: string[];
    /** Create the output bucket at boot (S3_CREATE_BUCKET): on by default only with the embedded S3. */
    createBucket: boolean;
  };
  db: {
    /** Deadline of every SQL statement (statement_timeout on every connection). */
    statementTimeoutMs: number;
    /** Connections of one replica in all (DB_POOL_MAX): the lock connections come out of this budget. */
    poolMax: number;
    /** Run the migrations at boot (MIGRATE_ON_BOOT); false: they are a release step. */
    migrateOnBoot: boolean;
  };
  processing: {
    concurrency: number;
    maxSourceBytes: number;
    preprocessTimeoutMs: number;
    /** Longest extracted text, in UTF-16 code units; longer fails TOO_LARGE. */
    maxTextChars: number;
  };
  retry: {
    maxAttempts: number;
    scanIntervalMs: number;
    backoffBaseMs: number;
    backoffMaxMs: number;
    schedulerEnabled: boolean;
    /** Manual retries running at once on one replica; past it 429 RETRY_CAPACITY. */
    maxConcurrentManual: number;
  };
  work: {
    /** A file whose holder stops renewing its lease is free again after this. */
    leaseTtlMs: number;
    /** Files claimed at once by a replica. */
    claimBatchSize: number;
  };
  /** Programs (first runs and scheduled retries alike) one replica works on at once. */
  programsInParallel: number;
  /** How long SIGTERM waits for files in flight before the process exits anyway. */
  shutdownGraceMs: number;
  failedFilesInlineLimit: number;
  /** Retry runs inlined in metadata_json.retry_history (the newest); the rest are counted. */
  retryHistoryInlineLimit: number;
  /** Default failure budget of a program whose create body names none (SPEC §8.4). */
  failureBudget: {
    /** Unset: no budget. */
    maxFailedRatio?: number;
    minFiles: number;
  };
  webhooks: {
    /** Host names a webhook_url may point at (any port); empty: webhooks are refused. */
    allowedHosts: string[];
    /** Signing key of X-Signature; unset: deliveries are sent unsigned. */
    secret?: string;
    /** First redelivery delay; doubles, 5 tries in all. */
    retryBaseMs: number;
  };
  maxBodyBytes: number;
  /** Least severe level logged: silent, error, warn, log or debug. */
  logLevel: LogLevelName;
  /** json (one object per line, for machines) or pretty (for a terminal). */
  logFormat: 'json' | 'pretty';
  /** Who a caller is (SPEC §8.8), and what guards /metrics. */
  auth: {
    mode: AuthMode;
    /** trusted-header: the header a gateway sets to the caller's user id (lower case, as Node reads it). */
    userHeader: string;
    /** trusted-header: users who may read and act on every user's programs. */
    adminUsers: string[];
    /** Set: /metrics needs `Authorization: Bearer <token>`. */
    metricsToken?: string;
    /** DATABASE_URL is set (a real deployment) and nobody is authenticated: the boot log says so. */
    warnUnauthenticated: boolean;
  };
}

export const AUTH_MODES = ['none', 'api-key', 'trusted-header'] as const;
export type AuthMode = (typeof AUTH_MODES)[number];

export const LOG_LEVELS = ['silent', 'error', 'warn', 'log', 'debug'] as const;
export type LogLevelName = (typeof LOG_LEVELS)[number];

type Env = Record<string, string | undefined>;

function present(env: Env, name: string): string | undefined {
  const v = env[name];
  return v === undefined || v.trim() === '' ? undefined : v.trim();
}

function int(env: Env, name: string, def: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const raw = present(env, name);
  if (raw === undefined) return def;
  if (!/^\d+$/.test(raw)) throw new ConfigError(name, `must be a whole number, got "${raw}"`);
  const n = Number(raw);
  if (n < min || n > max) throw new ConfigError(name, `must be between ${min} and ${max}, got ${n}`);
  return n;
}

function bool(env: Env, name: string, def: boolean): boolean {
  const raw = present(env, name);
  if (raw === undefined) return def;
  const v = raw.toLowerCase();
  if (['true', '1', 'yes'].includes(v)) return true;
  if (['false', '0', 'no'].includes(v)) return false;
  throw new ConfigError(name, `must be true or false, got "${raw}"`);
}

function oneOf<T extends string>(env: Env, name: string, allowed: readonly T[], def: T): T {
  const raw = present(env, name);
  if (raw === undefined) return def;
  if (!(allowed as readonly string[]).includes(raw)) {
    throw new ConfigError(name, `must be one of ${allowed.join(', ')}, got "${raw}"`);
  }
  return raw as T;
}

function url(env: Env, name: string, protocols: string[]): string | undefined {
  const raw = present(env, name);
  if (raw === undefined) return undefined;
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    throw new ConfigError(name, 'is not a valid URL');
  }
  if (!protocols.includes(parsed.protocol)) {
    throw new ConfigError(name, `must use ${protocols.join(' or ')}, got "${parsed.protocol}"`);
  }
  return raw;
}

// S3 bucket naming rules, so a typo fails at boot rather than on the first upload.
const BUCKET_RE = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

function bucketList(env: Env, name: string, outputBucket: string): string[] | undefined {
  const raw = present(env, name);
  if (raw === undefined) return undefined;
  const buckets = [
    ...new Set(
      raw
        .split(',')
        .map((b) => b.trim())
        .filter((b) => b !== ''),
    ),
  ];
  if (buckets.length === 0) throw new ConfigError(name, 'must list at least one bucket');
  for (const b of buckets) {
    if (!BUCKET_RE.test(b)) throw new ConfigError(name, `"${b}" is not a valid bucket name`);
    // The output bucket holds every user's processed JSON: reading it as a source would leak them.
    if (b === outputBucket) throw new ConfigError(name, `must not list the output bucket S3_BUCKET ("${b}")`);
  }
  return buckets;
}

function ratio(env: Env, name: string): number | undefined {
  const raw = present(env, name);
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!/^\d*\.?\d+$/.test(raw) || !(n >= 0 && n <= 1)) {
    throw new ConfigError(name, `must be a number from 0 to 1, got "${raw}"`);
  }
  return n;
}

// Host names as a URL's hostname gives them: lower case, no port, no scheme.
const HOST_RE = /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/;

function hostList(env: Env, name: string): string[] {
  const raw = present(env, name);
  if (raw === undefined) return [];
  const hosts = [
    ...new Set(
      raw
        .split(',')
        .map((h) => h.trim().toLowerCase())
        .filter((h) => h !== ''),
    ),
  ];
  for (const h of hosts) if (!HOST_RE.test(h)) throw new ConfigError(name, `"${h}" is not a host name`);
  return hosts;
}

// RFC 9110 token characters: what a header name may be made of.
const HEADER_NAME_RE = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
// The same rules as a user_id query parameter: 1 to 128 characters, no control characters.
// eslint-disable-next-line no-control-regex
const USER_ID_RE = /^[^\u0000-\u001f\u007f-\u009f]{1,128}$/;

function userList(env: Env, name: string): string[] {
  const raw = present(env, name);
  if (raw === undefined) return [];
  const users = [
    ...new Set(
      raw
        .split(',')
        .map((u) => u.trim())
        .filter((u) => u !== ''),
    ),
  ];
  for (const u of users) if (!USER_ID_RE.test(u)) throw new ConfigError(name, `"${u.slice(0, 40)}" is not a user id`);
  return users;
}

function authConfig(env: Env, databaseConfigured: boolean): AppConfig['auth'] {
  const mode = oneOf(env, 'AUTH_MODE', AUTH_MODES, 'none');
  const userHeader = (present(env, 'AUTH_USER_HEADER') ?? 'x-authenticated-user').toLowerCase();
  if (!HEADER_NAME_RE.test(userHeader))
    throw new ConfigError('AUTH_USER_HEADER', `"${userHeader}" is not a header name`);
  // The caller's own credentials travel in these; a gateway's identity never does.
  if (['authorization', 'cookie', 'host'].includes(userHeader)) {
    throw new ConfigError('AUTH_USER_HEADER', `must not be ${userHeader}`);
  }
  const adminUsers = userList(env, 'AUTH_ADMIN_USERS');
  // Elsewhere it would mean nothing (api-key admins are --admin keys) or, with AUTH_MODE=none,
  // suggest an admin that anyone can claim to be.
  if (adminUsers.length > 0 && mode !== 'trusted-header') {
    throw new ConfigError('AUTH_ADMIN_USERS', 'applies only with AUTH_MODE=trusted-header');
  }
  const metricsToken = present(env, 'METRICS_TOKEN');
  if (metricsToken !== undefined && !/^[\x21-\x7e]{16,1024}$/.test(metricsToken)) {
    throw new ConfigError('METRICS_TOKEN', 'must be 16 to 1024 visible ASCII characters (no spaces)');
  }
  return {
    mode,
    userHeader,
    adminUsers,
    metricsToken,
    warnUnauthenticated: mode === 'none' && databaseConfigured,
  };
}

export function loadConfig(env: Env = process.env): AppConfig {
  const endpoint = url(env, 'S3_ENDPOINT', ['http:', 'https:']);
  const embedded = bool(env, 'S3_EMBEDDED', endpoint === undefined);
  if (embedded && endpoint !== undefined) {
    throw new ConfigError('S3_EMBEDDED', 'cannot be true when S3_ENDPOINT is set');
  }
  const bucket = present(env, 'S3_BUCKET') ?? 'programs';
  if (!BUCKET_RE.test(bucket)) throw new ConfigError('S3_BUCKET', `"${bucket}" is not a valid bucket name`);
  const embeddedPgPort = int(env, 'EMBEDDED_PG_PORT', 54329, 1, 65535);
  if (embeddedPgPort === 5432)
    throw new ConfigError('EMBEDDED_PG_PORT', 'must not be 5432 (a system PostgreSQL may use it)');

  const backoffBaseMs = int(env, 'RETRY_BACKOFF_BASE_MS', 60_000, 1);
  const backoffMaxMs = int(env, 'RETRY_BACKOFF_MAX_MS', 3_600_000, 1);
  if (backoffMaxMs < backoffBaseMs) {
    throw new ConfigError('RETRY_BACKOFF_MAX_MS', 'must not be smaller than RETRY_BACKOFF_BASE_MS');
  }

  const databaseUrl = url(env, 'DATABASE_URL', ['postgres:', 'postgresql:']);

  return {
    port: int(env, 'PORT', 3000, 0, 65535),
    dataDir: present(env, 'DATA_DIR') ?? '.data',
    databaseUrl,
    embeddedPgPort,
    s3: {
      endpoint,
      embedded,
      embeddedPort: int(env, 'EMBEDDED_S3_PORT', 4569, 1, 65535),
      region: present(env, 'S3_REGION') ?? present(env, 'AWS_REGION') ?? 'us-east-1',
      forcePathStyle: bool(env, 'S3_FORCE_PATH_STYLE', endpoint !== undefined || embedded),
      bucket,
      requestTimeoutMs: int(env, 'S3_REQUEST_TIMEOUT_MS', 30_000, 100, 3_600_000),
      sourceBuckets: bucketList(env, 'SOURCE_BUCKETS', bucket),
      createBucket: bool(env, 'S3_CREATE_BUCKET', embedded),
    },
    db: {
      // 0 would mean "no deadline" to PostgreSQL: refused.
      statementTimeoutMs: int(env, 'DB_STATEMENT_TIMEOUT_MS', 30_000, 100, 3_600_000),
      // Below 4 the program locks (one connection each) could leave no connection for the work.
      poolMax: int(env, 'DB_POOL_MAX', 20, 4, 1000),
      migrateOnBoot: bool(env, 'MIGRATE_ON_BOOT', true),
    },
    processing: {
      concurrency: int(env, 'PROCESSING_CONCURRENCY', 16, 1, 1024),
      maxSourceBytes: int(env, 'MAX_SOURCE_BYTES', 52_428_800, 1),
      preprocessTimeoutMs: int(env, 'PREPROCESS_TIMEOUT_MS', 60_000, 1),
      maxTextChars: int(env, 'MAX_TEXT_CHARS', 5_000_000, 1, 100_000_000),
    },
    retry: {
      maxAttempts: int(env, 'RETRY_MAX_ATTEMPTS', 3, 0, 1000),
      scanIntervalMs: int(env, 'RETRY_SCAN_INTERVAL_MS', 30_000, 100),
      backoffBaseMs,
      backoffMaxMs,
      schedulerEnabled: bool(env, 'RETRY_SCHEDULER_ENABLED', true),
      maxConcurrentManual: int(env, 'MAX_CONCURRENT_RETRIES', 8, 1, 1000),
    },
    work: {
      leaseTtlMs: int(env, 'LEASE_TTL_MS', 30_000, 300, 3_600_000),
      claimBatchSize: int(env, 'CLAIM_BATCH_SIZE', 64, 1, 10_000),
    },
    programsInParallel: int(env, 'PROGRAMS_IN_PARALLEL', 4, 1, 64),
    shutdownGraceMs: int(env, 'SHUTDOWN_GRACE_MS', 25_000, 0, 3_600_000),
    failedFilesInlineLimit: int(env, 'FAILED_FILES_INLINE_LIMIT', 1000, 0, 100_000),
    retryHistoryInlineLimit: int(env, 'RETRY_HISTORY_INLINE_LIMIT', 100, 0, 10_000),
    failureBudget: {
      maxFailedRatio: ratio(env, 'FAILURE_BUDGET_RATIO'),
      minFiles: int(env, 'FAILURE_BUDGET_MIN_FILES', 50, 0, 100_000),
    },
    webhooks: {
      allowedHosts: hostList(env, 'WEBHOOK_ALLOWED_HOSTS'),
      secret: present(env, 'WEBHOOK_SECRET'),
      retryBaseMs: int(env, 'WEBHOOK_RETRY_BASE_MS', 1000, 1, 3_600_000),
    },
    maxBodyBytes: int(env, 'MAX_BODY_BYTES', 16_777_216, 1024),
    logLevel: oneOf(env, 'LOG_LEVEL', LOG_LEVELS, 'log'),
    // Pretty only where a person reads it: a terminal, outside production.
    logFormat: oneOf(
      env,
      'LOG_FORMAT',
      ['json', 'pretty'] as const,
      process.stdout.isTTY && env.NODE_ENV !== 'production' ? 'pretty' : 'json',
    ),
    auth: authConfig(env, databaseUrl !== undefined),
  };
}
