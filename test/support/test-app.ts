import type { S3Client } from '@aws-sdk/client-s3';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import type { DestinationStream } from 'pino';
import request from 'supertest';
import { createApp } from '../../src/app.factory';
import { Clock } from '../../src/common/clock';
import { AppConfig, loadConfig } from '../../src/config/app-config';
import { ensureBucket, makeS3Client } from '../factories/s3-objects';
import { expectProgramInvariants } from './invariants';
import { eventually } from './wait';

export interface TestApp {
  app: NestExpressApplication;
  /** The HTTP server, for supertest. */
  server: ReturnType<NestExpressApplication['getHttpServer']>;
  config: AppConfig;
  /** A connection to the app's own database, for counting rows from the outside. */
  db: Client;
  databaseUrl: string;
  s3: S3Client;
  /** Output bucket of this app (unique per test app). */
  bucket: string;
  /** A bucket for source files, created empty. */
  sourceBucket: string;
  close(): Promise<void>;
}

const suffix = () => randomBytes(5).toString('hex');

function withDatabase(serverUrl: string, database: string): string {
  const u = new URL(serverUrl);
  u.pathname = `/${database}`;
  return u.toString();
}

/** A fresh database (named `test_<random>`) on the test PostgreSQL server, dropped by `drop`. */
export async function createTestDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const serverUrl = process.env.TEST_DATABASE_SERVER_URL;
  if (!serverUrl) throw new Error('TEST_DATABASE_SERVER_URL is not set: run the e2e tests through jest (global setup)');
  const name = `test_${suffix()}`;
  const admin = new Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  return {
    url: withDatabase(serverUrl, name),
    drop: async () => {
      const c = new Client({ connectionString: serverUrl });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await c.end();
      }
    },
  };
}

/**
 * Boots the real application on a database and bucket of its own, against the test servers
 * started by the global setup. `env` overrides configuration as the environment would.
 */
export async function startTestApp(
  env: Record<string, string> = {},
  opts: {
    database?: string;
    clock?: Clock;
    sourceBucket?: string;
    /** Where the app's own log lines go (JSON) instead of stdout, for a test that reads them. */
    logDestination?: DestinationStream;
  } = {},
): Promise<TestApp> {
  const testDb = opts.database ? undefined : await createTestDatabase();
  const databaseUrl = opts.database ?? testDb!.url;
  // The app's S3 client takes credentials from the SDK's default chain, as in production.
  process.env.AWS_ACCESS_KEY_ID = process.env.TEST_S3_ACCESS_KEY_ID;
  process.env.AWS_SECRET_ACCESS_KEY = process.env.TEST_S3_SECRET_ACCESS_KEY;
  const bucket = env.S3_BUCKET ?? `out-${suffix()}`;
  const config = loadConfig({
    DATABASE_URL: databaseUrl,
    S3_ENDPOINT: process.env.TEST_S3_ENDPOINT,
    S3_REGION: process.env.TEST_S3_REGION ?? 'us-east-1',
    S3_BUCKET: bucket,
    // Against an S3 endpoint the service leaves the bucket to the operator unless asked.
    S3_CREATE_BUCKET: 'true',
    RETRY_SCHEDULER_ENABLED: 'false',
    // The interrupted-run sweep runs on its own timer even with the scheduler off; tests that rely
    // on it set a short interval, the others keep it from running in the middle of what they check.
    RETRY_SCAN_INTERVAL_MS: '3600000',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'error',
    ...env,
  });
  const s3 = makeS3Client();
  const sourceBucket = opts.sourceBucket ?? `src-${suffix()}`;
  await ensureBucket(s3, sourceBucket);
  const app = await createApp(config, { clock: opts.clock, logDestination: opts.logDestination });
  const db = new Client({ connectionString: databaseUrl });
  await db.connect();
  return {
    app,
    server: app.getHttpServer(),
    config,
    db,
    databaseUrl,
    s3,
    bucket,
    sourceBucket,
    close: async () => {
      await app.close();
      await db.end();
      s3.destroy();
      await testDb?.drop();
    },
  };
}

export interface ProgramBody {
  program_id: string;
  status: string;
  total_files: number;
  metadata_json: Record<string, any>;
  [key: string]: unknown;
}

/** Polls GET /v1/programs/{id} until the program has left pending/processing. */
export async function waitForProgram(
  t: TestApp,
  programId: string,
  userId: string,
  timeoutMs = 90_000,
): Promise<ProgramBody> {
  let last = 'unread';
  return eventually(
    async () => {
      const res = await request(t.server).get(`/v1/programs/${programId}`).query({ user_id: userId });
      if (res.status !== 200) throw new Error(`GET program answered ${res.status}: ${JSON.stringify(res.body)}`);
      last = res.body.status as string;
      return SETTLED.includes(last) ? (res.body as ProgramBody) : undefined;
    },
    () => `program ${programId} to settle (still ${last})`,
    timeoutMs,
    100,
  );
}

const SETTLED = ['completed', 'completed_with_failures', 'cancelled', 'aborted'];

/** Waits for the program to finish, then checks every SPEC §4 invariant from the outside. */
export async function finishAndCheck(t: TestApp, programId: string, userId: string, files?: readonly string[]) {
  const program = await waitForProgram(t, programId, userId);
  await expectProgramInvariants(
    { server: t.server, db: t.db, s3: t.s3, bucket: t.bucket, inlineLimit: t.config.failedFilesInlineLimit, files },
    programId,
    userId,
  );
  return program;
}

/** A clock the test moves by hand: scheduler rounds see exactly the time the test sets. */
export class ManualClock extends Clock {
  constructor(private current = new Date()) {
    super();
  }

  now(): Date {
    return new Date(this.current.getTime());
  }

  advance(ms: number): void {
    this.current = new Date(this.current.getTime() + ms);
  }
}
