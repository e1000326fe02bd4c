import { ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { createTestDatabase } from '../support/test-app';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { until } from '../support/wait';

/**
 * `npm start` as a user runs it: the built service with no database or S3 configured starts its
 * embedded PostgreSQL and S3, serves, and stops cleanly. (`npm test` builds dist/ first.)
 */
const MAIN = join(__dirname, '..', '..', 'dist', 'main.js');

function baseEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env = { ...process.env, ...extra };
  // A CI run against an external server must not leak into the embedded-defaults boot.
  for (const name of ['DATABASE_URL', 'S3_ENDPOINT', 'S3_EMBEDDED', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY']) {
    if (!(name in extra)) delete env[name];
  }
  return env;
}

function collect(child: ChildProcess): { text: () => string } {
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  return { text: () => out };
}

const exited = (child: ChildProcess) =>
  new Promise<number | null>((resolve) => {
    if (child.exitCode !== null) return resolve(child.exitCode);
    child.once('exit', (code) => resolve(code));
  });

describe('npm start with embedded defaults', () => {
  let dataDir: string;
  let child: ChildProcess | undefined;

  beforeAll(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'ingest-start-'));
  });

  afterAll(async () => {
    if (child && child.exitCode === null) {
      child.kill('SIGKILL');
      await exited(child);
    }
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('serves the API, Swagger and health on embedded PostgreSQL and S3, then stops on SIGTERM', async () => {
    const port = 3900 + Math.floor(Math.random() * 90);
    child = spawn(process.execPath, [MAIN], {
      env: baseEnv({
        PORT: String(port),
        DATA_DIR: dataDir,
        EMBEDDED_PG_PORT: '54349',
        EMBEDDED_S3_PORT: '4589',
        RETRY_SCHEDULER_ENABLED: 'false',
      }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out = collect(child);
    await until(
      () => /Embedded S3: http:\/\/127\.0\.0\.1:4589/.test(out.text()) || child!.exitCode !== null,
      () => `the boot banner; output:\n${out.text()}`,
      60_000,
    );
    expect(child.exitCode).toBeNull();

    expect(out.text()).toContain(`API:        http://localhost:${port}/v1/programs`);
    expect(out.text()).toContain(`Swagger UI: http://localhost:${port}/docs`);
    expect(out.text()).toMatch(/access key S3RVER, secret S3RVER/);
    // Its own embedded database is no deployment: nothing to warn about with AUTH_MODE=none.
    expect(out.text()).not.toContain('AUTH_MODE=none with DATABASE_URL set');

    const base = `http://127.0.0.1:${port}`;
    const ready = await fetch(`${base}/health/ready`);
    expect(ready.status).toBe(200);
    const doc = (await (await fetch(`${base}/docs-json`)).json()) as { paths: Record<string, unknown> };
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/v1/programs', '/v1/programs/{programId}']));
    const created = await fetch(`${base}/v1/programs?user_id=starter`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'first', files: ['s3://nowhere-bucket/a.txt'] }),
    });
    expect(created.status).toBe(202);

    child.kill('SIGTERM');
    expect(await exited(child)).toBe(0);
  });

  it('warns at boot, with a real database and AUTH_MODE=none, that anyone can act as any user', async () => {
    const db = await createTestDatabase();
    try {
      for (const mode of ['none', 'api-key']) {
        const port = 3900 + Math.floor(Math.random() * 90);
        const service = spawn(process.execPath, [MAIN], {
          env: baseEnv({
            PORT: String(port),
            DATA_DIR: dataDir,
            DATABASE_URL: db.url,
            S3_ENDPOINT: process.env.TEST_S3_ENDPOINT ?? '',
            AWS_ACCESS_KEY_ID: process.env.TEST_S3_ACCESS_KEY_ID ?? '',
            AWS_SECRET_ACCESS_KEY: process.env.TEST_S3_SECRET_ACCESS_KEY ?? '',
            S3_BUCKET: 'boot-auth-warning',
            S3_CREATE_BUCKET: 'true',
            RETRY_SCHEDULER_ENABLED: 'false',
            AUTH_MODE: mode,
            LOG_FORMAT: 'json',
          }),
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        const out = collect(service);
        try {
          await until(
            () => /API: {8}http/.test(out.text()) || service.exitCode !== null,
            () => `the boot banner; output:\n${out.text()}`,
            60_000,
          );
          const identity = out
            .text()
            .split('\n')
            .filter((l) => l.startsWith('{'))
            .map((l) => JSON.parse(l) as { context?: string; level: number; msg: string })
            .filter((l) => l.context === 'Identity');
          if (mode === 'none') {
            expect(identity).toEqual([
              expect.objectContaining({
                level: 40,
                msg: expect.stringContaining('anyone who can reach the service can act as any user'),
              }),
            ]);
          } else {
            expect(identity).toEqual([expect.objectContaining({ level: 30, msg: 'AUTH_MODE=api-key' })]);
          }
        } finally {
          service.kill('SIGTERM');
          await exited(service);
        }
      }
    } finally {
      await db.drop();
    }
  });

  it('refuses to boot on a bad setting and names the variable', async () => {
    const bad = spawn(process.execPath, [MAIN], {
      env: baseEnv({ DATA_DIR: dataDir, PROCESSING_CONCURRENCY: 'lots' }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out = collect(bad);
    expect(await exited(bad)).toBe(1);
    expect(out.text()).toContain('PROCESSING_CONCURRENCY');
  });

  it('says why it could not start when the failure comes after the settings (here: its port is taken)', async () => {
    const taken = createServer();
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', r));
    const port = (taken.address() as { port: number }).port;
    // The suite's database and S3, so that nothing embedded is started (and left behind) by a process
    // that exits.
    const db = await createTestDatabase();
    try {
      const bad = spawn(process.execPath, [MAIN], {
        env: baseEnv({
          DATA_DIR: dataDir,
          PORT: String(port),
          DATABASE_URL: db.url,
          S3_ENDPOINT: process.env.TEST_S3_ENDPOINT ?? '',
          AWS_ACCESS_KEY_ID: process.env.TEST_S3_ACCESS_KEY_ID ?? '',
          AWS_SECRET_ACCESS_KEY: process.env.TEST_S3_SECRET_ACCESS_KEY ?? '',
          S3_BUCKET: 'boot-port-taken',
        }),
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const out = collect(bad);
      const closed = new Promise<void>((r) => bad.once('close', () => r()));
      expect(await exited(bad)).toBe(1);
      await closed;
      // Written before exiting, whatever the logger's own buffering: an operator can read it.
      expect(out.text()).toMatch(/boot failed: .*EADDRINUSE/);
    } finally {
      await new Promise<void>((r) => taken.close(() => r()));
      await db.drop();
    }
  });
});
