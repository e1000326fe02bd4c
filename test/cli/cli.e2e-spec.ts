import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestApp, TestApp } from '../support/test-app';

/** The shipped CLI (dist/cli/main.js) against the real service over HTTP and the real S3. */
const CLI = join(__dirname, '..', '..', 'dist', 'cli', 'main.js');
const USER = 'cli-user';

function cli(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('CLI', () => {
  let t: TestApp;
  let dir: string;
  let env: Record<string, string>;

  beforeAll(async () => {
    t = await startTestApp();
    await t.app.listen(0, '127.0.0.1');
    const { port } = t.server.address() as { port: number };
    env = {
      INGEST_API_URL: `http://127.0.0.1:${port}`,
      S3_ENDPOINT: process.env.TEST_S3_ENDPOINT!,
      AWS_ACCESS_KEY_ID: process.env.TEST_S3_ACCESS_KEY_ID!,
      AWS_SECRET_ACCESS_KEY: process.env.TEST_S3_SECRET_ACCESS_KEY!,
    };
    dir = mkdtempSync(join(tmpdir(), 'cli-src-'));
    writeFileSync(join(dir, 'a.txt'), 'Alpha document. It has two sentences.');
    writeFileSync(join(dir, 'b.md'), '# Beta\n\nA markdown file.');
    writeFileSync(join(dir, 'c.json'), '{"title": "Gamma", "body": "json text"}');
    writeFileSync(join(dir, 'broken.bin'), Buffer.from(Array.from({ length: 512 }, (_, i) => (i * 53) % 256)));
  });

  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    await t?.close();
  });

  it('ingests a folder, shows the partial failure, exports it, retries, lists — with exit codes', async () => {
    const ingest = await cli(['ingest', dir, '--user', USER, '--bucket', t.sourceBucket, '--quiet'], env);
    expect(ingest.stderr).toBe('');
    expect(ingest.code).toBe(2);
    const programId = /program (prog_[0-9a-f]{24}) created with 4 file\(s\)/.exec(ingest.stdout)?.[1];
    expect(programId).toBeDefined();
    expect(ingest.stdout).toMatch(/status\s+completed_with_failures/);
    expect(ingest.stdout).toMatch(/preprocessing\s+3 ok, 1 failed/);
    expect(ingest.stdout).toMatch(/#2 s3:\/\/.+\/broken\.bin\s+UNSUPPORTED_TYPE/);

    const csv = await cli(['failures', programId!, '--user', USER, '--format', 'csv'], env);
    expect(csv.code).toBe(0);
    const lines = csv.stdout.trim().split('\n');
    expect(lines[0]).toBe('stage,index,file,error_code,retryable,retry_count,exhausted,next_retry_at,timestamp,error');
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatch(/^preprocessing,2,s3:\/\/.+broken\.bin,UNSUPPORTED_TYPE,false,0,false,,/);

    const json = await cli(['failures', programId!, '--user', USER, '--format', 'json'], env);
    expect(JSON.parse(json.stdout)).toEqual([
      expect.objectContaining({ stage: 'preprocessing', index: 2, error_code: 'UNSUPPORTED_TYPE' }),
    ]);

    const retry = await cli(['retry', programId!, '--user', USER, '--type', 'preprocessing'], env);
    expect(retry.code).toBe(2);
    expect(retry.stdout).toMatch(/preprocessing\s+retried 1, success 0, failed 1/);
    expect(retry.stdout).toContain('재시도 완료');

    const status = await cli(['status', programId!, '--user', USER], env);
    expect(status.code).toBe(2);
    expect(status.stdout).toMatch(/retries so far\s+1/);

    const list = await cli(['list', '--user', USER], env);
    expect(list.code).toBe(0);
    expect(list.stdout).toContain(programId);
  });

  it('says when the service cannot be reached (exit 3) or the program is not the user’s (exit 1)', async () => {
    const down = await cli(['status', 'prog_000000000000000000000000', '--user', USER], {
      ...env,
      INGEST_API_URL: 'http://127.0.0.1:1',
    });
    expect(down.code).toBe(3);
    expect(down.stderr).toMatch(/^error: cannot reach the service at http:\/\/127\.0\.0\.1:1/);
    expect(down.stderr).not.toMatch(/\n\s+at /);

    const missing = await cli(['status', 'prog_000000000000000000000000', '--user', USER], env);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('404 PROGRAM_NOT_FOUND');

    const usage = await cli(['retry', 'prog_000000000000000000000000'], env);
    expect(usage.code).toBe(1);
    expect(usage.stderr).toContain("required option '-u, --user <user_id>' not specified");
  });
});
