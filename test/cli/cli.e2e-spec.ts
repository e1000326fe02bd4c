import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { clearDocumentFaults, documentsAtGate, gateDocuments } from '../factories/db-faults';
import { putObjects, s3Url, textFiles } from '../factories/s3-objects';
import { createTestDatabase, startTestApp, TestApp } from '../support/test-app';
import { RecordingProxy } from './recording-proxy';
import { eventually } from '../support/wait';

/** The shipped CLI (dist/cli/main.js) against the real service over HTTP and the real S3. */
const CLI = join(__dirname, '..', '..', 'dist', 'cli', 'main.js');
const USER = 'cli-user';
// documentsAtGate counts waiters in every database of the server: a key of this file's own keeps
// another suite's gate, running at the same time, from being counted as this one's.
const GATE = 7311;

const parse = (text: string): any => JSON.parse(text);

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
    expect(retry.stderr).toBe('');
    expect(retry.code).toBe(2);
    const retryId = /retry (\d+) started/.exec(retry.stdout)?.[1];
    expect(retryId).toBeDefined();
    expect(retry.stdout).toMatch(/preprocessing\s+retried 1, success 0, failed 1/);
    expect(retry.stdout).toContain(`retry ${retryId} finished`);
    expect(retry.stdout).toMatch(/status\s+completed_with_failures/);

    const status = await cli(['status', programId!, '--user', USER], env);
    expect(status.code).toBe(2);
    expect(status.stdout).toMatch(/retries so far\s+1/);

    const list = await cli(['list', '--user', USER], env);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(
      new RegExp(`${programId}\\s+completed_with_failures\\s+4 files\\s+3 done\\s+1 failed\\s+0 pending`),
    );
    const none = await cli(['list', '--user', USER, '--status', 'completed'], env);
    expect(none.code).toBe(0);
    expect(none.stdout).not.toContain(programId);
  });

  it('--json: one document on stdout per command, errors as JSON on stderr; retry follows a selected run', async () => {
    const user = 'cli-json';
    await putObjects(t.s3, t.sourceBucket, textFiles(2, 'json'));
    const late = textFiles(4, 'json-late').slice(2);
    const manifest = join(dir, '..', `${user}-manifest.txt`);
    writeFileSync(manifest, late.map((f) => s3Url(t.sourceBucket, f.key)).join('\n'));
    try {
      const ingest = await cli(
        ['ingest', `s3://${t.sourceBucket}/json/`, '--files-from', manifest, '--user', user, '--json'],
        env,
      );
      expect(ingest.stderr).toBe('');
      expect(ingest.code).toBe(2);
      const created = parse(ingest.stdout);
      expect(created).toMatchObject({ status: 'completed_with_failures', total_files: 4 });
      expect(created.metadata_json.preprocessing.summary).toMatchObject({ success: 2, failed: 2 });
      const id = created.program_id as string;

      const status = await cli(['status', id, '--user', user, '--json'], env);
      expect(status.code).toBe(2);
      expect(parse(status.stdout)).toMatchObject({ program_id: id, status: 'completed_with_failures' });

      const list = await cli(['list', '--user', user, '--json', '--status', 'completed_with_failures'], env);
      expect(list.code).toBe(0);
      expect(parse(list.stdout)).toEqual([
        expect.objectContaining({ program_id: id, counts: { done: 2, failed: 2, pending: 0 } }),
      ]);

      const failures = await cli(['failures', id, '--user', user, '--json', '--error-code', 'SOURCE_NOT_FOUND'], env);
      expect(failures.code).toBe(0);
      expect(parse(failures.stdout).map((f: { index: number }) => f.index)).toEqual([2, 3]);

      // One late file arrives; a retry of that index alone is started, followed to its end.
      await putObjects(t.s3, t.sourceBucket, [late[0]]);
      const retry = await cli(['retry', id, '--user', user, '--indexes', '2', '--json'], env);
      expect(retry.stderr).toBe('');
      expect(retry.code).toBe(2); // index 3 is still missing
      expect(parse(retry.stdout)).toMatchObject({
        program_id: id,
        status: 'finished',
        skipped: 0,
        results: { preprocessing: { retried: 1, success: 1, failed: 0 }, document: { success: 1, failed: 0 } },
      });

      // The other arrives, but its Document waits at a gate: the run outlasts --wait-timeout.
      await putObjects(t.s3, t.sourceBucket, [late[1]]);
      const gate = await gateDocuments(t.db, GATE);
      let still: { code: number | null; stdout: string; stderr: string };
      try {
        still = await cli(
          ['retry', id, '--user', user, '--error-codes', 'source_not_found', '--wait-timeout', '1', '--json'],
          env,
        );
      } finally {
        await gate.release();
        await clearDocumentFaults(t.db);
      }
      expect(still.code).toBe(4);
      const running = parse(still.stdout);
      expect(running).toMatchObject({ program_id: id, status: 'running' });
      expect(parse(still.stderr)).toEqual({
        error: {
          code: 'STILL_RUNNING',
          message: expect.stringContaining(`retry ${running.retry_id} is still running`),
        },
      });
      await eventually(async () => {
        const run = await fetch(`${env.INGEST_API_URL}/v1/programs/${id}/retries/${running.retry_id}?user_id=${user}`);
        return (await run.json()).status === 'finished' ? true : undefined;
      }, 'the retry to finish');
      const done = await cli(['status', id, '--user', user, '--json'], env);
      expect(done.code).toBe(0);
      expect(parse(done.stdout).status).toBe('completed');

      const missing = await cli(['status', 'prog_000000000000000000000000', '--user', user, '--json'], env);
      expect(missing.code).toBe(1);
      expect(missing.stdout).toBe('');
      expect(parse(missing.stderr)).toEqual({
        error: { code: 'PROGRAM_NOT_FOUND', message: expect.stringContaining('404') },
      });

      const usage = await cli(['retry', id, '--json', '--indexes', '1,x'], env);
      expect(usage.code).toBe(1);
      expect(usage.stdout).toBe('');
      expect(parse(usage.stderr)).toMatchObject({ error: { code: 'USAGE' } });

      const down = await cli(['list', '--user', user, '--json'], { ...env, INGEST_API_URL: 'http://127.0.0.1:1' });
      expect(down.code).toBe(3);
      expect(parse(down.stderr)).toMatchObject({ error: { code: 'UNREACHABLE' } });
    } finally {
      rmSync(manifest, { force: true });
    }
  });

  it('watches a program live, asking with If-None-Match and getting 304 while it does not move', async () => {
    const user = 'cli-watch';
    const files = await putObjects(t.s3, t.sourceBucket, textFiles(3, 'watch'));
    const proxy = new RecordingProxy(env.INGEST_API_URL);
    const viaProxy = { ...env, INGEST_API_URL: await proxy.start() };
    const gate = await gateDocuments(t.db, GATE);
    let released = false;
    try {
      const ingest = await cli(['ingest', `s3://${t.sourceBucket}/watch/`, '--user', user, '--no-wait', '--json'], env);
      expect(ingest.code).toBe(0);
      const id = parse(ingest.stdout).program_id as string;
      await eventually(
        async () => ((await documentsAtGate(t.db, GATE)) > 0 ? true : undefined),
        'Documents at the gate',
      );

      const watch = cli(['watch', id, '--user', user], viaProxy);
      const polls = () => proxy.exchanges.filter((e) => e.method === 'GET' && e.path === `/v1/programs/${id}`);
      await eventually(
        async () => (polls().filter((e) => e.status === 304).length >= 2 ? true : undefined),
        'two 304 answers to the watch',
      );
      await gate.release();
      released = true;
      const watched = await watch;
      expect(watched.stderr).toBe('');
      expect(watched.code).toBe(0);
      expect(watched.stdout).toMatch(/status\s+completed/);
      expect(watched.stdout).toMatch(/documents\s+3 ok, 0 failed/);
      // Every poll after the first sent the ETag the service had given.
      const [first, ...rest] = polls();
      expect(first.headers['if-none-match']).toBeUndefined();
      expect(rest.length).toBeGreaterThanOrEqual(3);
      for (const p of rest) expect(p.headers['if-none-match']).toMatch(/^"\d+"$/);

      const settled = await cli(['watch', id, '--user', user, '--json'], env);
      expect(settled.code).toBe(0);
      expect(parse(settled.stdout)).toMatchObject({ program_id: id, status: 'completed', total_files: files.length });
    } finally {
      if (!released) await gate.release();
      await clearDocumentFaults(t.db);
      await proxy.close();
    }
  });

  it('cancels a running program (exit 0, status cancelled); a second cancel is refused', async () => {
    const user = 'cli-cancel';
    await putObjects(t.s3, t.sourceBucket, textFiles(40, 'cancel'));
    // Document inserts wait at a gate the test holds, so the program is certainly mid-run.
    const gate = await gateDocuments(t.db, GATE);
    let released = false;
    try {
      const ingest = await cli(
        ['ingest', `s3://${t.sourceBucket}/cancel/`, '--user', user, '--no-wait', '--json'],
        env,
      );
      expect(ingest.code).toBe(0);
      const id = parse(ingest.stdout).program_id as string;
      await eventually(
        async () => ((await documentsAtGate(t.db, GATE)) > 0 ? true : undefined),
        'Documents at the gate',
      );

      // The cancel fences every unsettled file and waits for the inserts at the gate that hold
      // their rows: open the gate once it waits.
      const cancel = cli(['cancel', id, '--user', user, '--json'], env);
      await eventually(async () => {
        const waiting = await t.db.query(
          `SELECT count(*)::int AS n FROM pg_stat_activity
           WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE '%epoch = f.epoch + 1%'`,
        );
        return waiting.rows[0].n > 0 ? true : undefined;
      }, 'the cancel to wait for the files in flight');
      await gate.release();
      released = true;
      const cancelled = await cancel;
      expect(cancelled.stderr).toBe('');
      expect(cancelled.code).toBe(0);
      expect(parse(cancelled.stdout)).toEqual({ program_id: id, status: 'cancelled' });

      const status = await cli(['status', id, '--user', user], env);
      expect(status.code).toBe(2);
      expect(status.stdout).toMatch(/status\s+cancelled/);
      expect(status.stdout).toMatch(/CANCELLED/);

      const again = await cli(['cancel', id, '--user', user], env);
      expect(again.code).toBe(1);
      expect(again.stderr).toContain('409 PROGRAM_NOT_RUNNING');
    } finally {
      if (!released) await gate.release();
      await clearDocumentFaults(t.db);
    }
  });

  it('creates one program per idempotency key, also when the answer to the create is lost', async () => {
    const user = 'cli-idem';
    await putObjects(t.s3, t.sourceBucket, textFiles(2, 'idem'));
    const args = ['ingest', `s3://${t.sourceBucket}/idem/`, '--user', user, '--no-wait', '--json'];
    const first = await cli([...args, '--idempotency-key', 'nightly-1'], env);
    const second = await cli([...args, '--idempotency-key', 'nightly-1'], env);
    expect([first.code, second.code]).toEqual([0, 0]);
    expect(parse(second.stdout).program_id).toBe(parse(first.stdout).program_id);

    // The service creates the program, but the connection drops before its answer arrives: the
    // CLI sends the create again under the same key and gets that program back.
    const proxy = new RecordingProxy(env.INGEST_API_URL);
    try {
      const viaProxy = { ...env, INGEST_API_URL: await proxy.start() };
      proxy.dropAnswerOnce((method, path) => method === 'POST' && path === '/v1/programs');
      const blip = await cli([...args, '--name', 'after-a-blip'], viaProxy);
      expect(blip.stderr).toBe('');
      expect(blip.code).toBe(0);
      const posts = proxy.exchanges.filter((e) => e.method === 'POST');
      expect(posts.map((e) => [e.status, e.dropped])).toEqual([
        [202, true],
        [202, false],
      ]);
      expect(posts[0].headers['idempotency-key']).toMatch(/^[0-9a-f-]{36}$/);
      expect(posts[1].headers['idempotency-key']).toBe(posts[0].headers['idempotency-key']);
      expect(parse(blip.stdout).program_id).toMatch(/^prog_/);
    } finally {
      await proxy.close();
    }

    const list = await cli(['list', '--user', user, '--json'], env);
    expect(parse(list.stdout).map((p: { name: string }) => p.name)).toEqual(['after-a-blip', 'idem']);
  });

  it('tells a slow answer (timeout, exit 1) from a service that is not there (exit 3)', async () => {
    // Takes connections and never answers: reachable, and slower than any deadline.
    const silent = net.createServer(() => undefined);
    const held = new Set<net.Socket>();
    silent.on('connection', (s) => held.add(s));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const slowEnv = { ...env, INGEST_API_URL: `http://127.0.0.1:${(silent.address() as net.AddressInfo).port}` };
    try {
      const started = Date.now();
      const slow = await cli(['status', 'prog_000000000000000000000000', '--user', USER, '--timeout', '1'], slowEnv);
      expect(slow.code).toBe(1);
      expect(slow.stderr).toMatch(/^error: GET \/v1\/programs\/prog_0+: no answer from the service at .+ within 1 s/);
      expect(slow.stderr).not.toContain('cannot reach');
      expect(Date.now() - started).toBeLessThan(15_000);

      const slowJson = await cli(['list', '--user', USER, '--timeout', '0.5', '--json'], slowEnv);
      expect(slowJson.code).toBe(1);
      expect(parse(slowJson.stderr)).toMatchObject({ error: { code: 'TIMEOUT' } });
    } finally {
      for (const s of held) s.destroy();
      await new Promise((r) => silent.close(r));
    }
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
    expect(usage.stderr).toContain('give --user (or an API key: --api-key, or INGEST_API_KEY)');
  });
});

describe('CLI with AUTH_MODE=api-key', () => {
  let t: TestApp;
  let dir: string;
  let env: Record<string, string>;

  beforeAll(async () => {
    t = await startTestApp({ AUTH_MODE: 'api-key' });
    await t.app.listen(0, '127.0.0.1');
    const { port } = t.server.address() as { port: number };
    env = {
      INGEST_API_URL: `http://127.0.0.1:${port}`,
      S3_ENDPOINT: process.env.TEST_S3_ENDPOINT!,
      AWS_ACCESS_KEY_ID: process.env.TEST_S3_ACCESS_KEY_ID!,
      AWS_SECRET_ACCESS_KEY: process.env.TEST_S3_SECRET_ACCESS_KEY!,
    };
    dir = mkdtempSync(join(tmpdir(), 'cli-keys-'));
    writeFileSync(join(dir, 'a.txt'), 'Alpha document.');
  });

  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    await t?.close();
  });

  it('bootstraps the first admin key in the database, then makes, lists and revokes keys', async () => {
    // No key exists yet: only the database can make the first one.
    const noWay = await cli(['keys', 'create', '--user', 'root', '--admin'], env);
    expect(noWay.code).toBe(1);
    expect(noWay.stderr).toContain('set DATABASE_URL');

    const first = await cli(['keys', 'create', '--user', 'root', '--admin', '--json'], {
      ...env,
      DATABASE_URL: t.databaseUrl,
    });
    expect([first.code, first.stderr]).toEqual([0, '']);
    const root = parse(first.stdout);
    expect(root).toEqual({
      key_id: expect.stringMatching(/^[0-9a-f]{16}$/),
      user_id: 'root',
      admin: true,
      key: expect.any(String),
    });
    expect(root.key).toMatch(new RegExp(`^bik_${root.key_id}_`));
    const { rows } = await t.db.query('SELECT user_id, admin, created_by FROM api_keys WHERE key_id = $1', [
      root.key_id,
    ]);
    expect(rows).toEqual([{ user_id: 'root', admin: true, created_by: null }]);

    // With the admin key, through the service (no database needed): the key is shown once, in text.
    const made = await cli(['keys', 'create', '--user', 'alice'], { ...env, INGEST_API_KEY: root.key });
    expect([made.code, made.stderr]).toEqual([0, '']);
    const aliceKey = /^key {5}(bik_\S+)$/m.exec(made.stdout)?.[1];
    const aliceId = /^key_id {2}([0-9a-f]{16})$/m.exec(made.stdout)?.[1];
    expect(aliceKey).toMatch(new RegExp(`^bik_${aliceId}_`));
    expect(made.stdout).toMatch(/^admin {3}no$/m);

    const listed = await cli(['keys', 'list', '--json', '--api-key', root.key], env);
    expect(listed.code).toBe(0);
    const keys = parse(listed.stdout);
    expect(keys.map((k: { key_id: string }) => k.key_id).sort()).toEqual([aliceId, root.key_id].sort());
    expect(listed.stdout).not.toContain(aliceKey);
    const fromDb = await cli(['keys', 'list'], { ...env, DATABASE_URL: t.databaseUrl });
    expect(fromDb.stdout).toMatch(new RegExp(`^${aliceId}  alice  -  \\S+  active$`, 'm'));

    // The key is the identity: no --user needed, and a --user naming someone else is refused.
    const asAlice = { ...env, INGEST_API_KEY: aliceKey! };
    const ingest = await cli(['ingest', dir, '--bucket', t.sourceBucket, '--quiet', '--json'], asAlice);
    expect([ingest.code, ingest.stderr]).toEqual([0, '']);
    expect(parse(ingest.stdout)).toMatchObject({ user_id: 'alice', status: 'completed' });
    const list = await cli(['list', '--json'], asAlice);
    expect(parse(list.stdout).map((p: { user_id: string }) => p.user_id)).toEqual(['alice']);
    const checked = await cli(['list', '--user', 'alice'], asAlice);
    expect(checked.code).toBe(0);
    const mismatch = await cli(['list', '--user', 'bob', '--json'], asAlice);
    expect(mismatch.code).toBe(1);
    expect(JSON.parse(mismatch.stderr).error.code).toBe('USER_MISMATCH');
    const notAdmin = await cli(['keys', 'list'], asAlice);
    expect(notAdmin.code).toBe(1);
    expect(notAdmin.stderr).toContain('403 ADMIN_REQUIRED');

    // Revoked straight in the database: the service refuses the key from the next call on.
    const revoked = await cli(['keys', 'revoke', aliceId!], { ...env, DATABASE_URL: t.databaseUrl });
    expect([revoked.code, revoked.stdout.trim()]).toEqual([0, `API key ${aliceId} revoked`]);
    const refused = await cli(['list', '--json'], asAlice);
    expect(refused.code).toBe(1);
    expect(JSON.parse(refused.stderr).error.code).toBe('UNAUTHENTICATED');
    expect(refused.stderr).not.toContain(aliceKey);
    const unknown = await cli(['keys', 'revoke', 'fedcba9876543210', '--api-key', root.key], env);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('404 KEY_NOT_FOUND');
    const badId = await cli(['keys', 'revoke', 'nope', '--api-key', root.key], env);
    expect(badId.code).toBe(1);
    expect(badId.stderr).toContain('a key id is 16 hex digits');
  });

  it('says what a database without the keys table needs', async () => {
    const empty = await createTestDatabase();
    try {
      const r = await cli(['keys', 'create', '--user', 'root'], { ...env, DATABASE_URL: empty.url });
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('has no api_keys table: start the service once');
      expect(r.stderr).not.toContain('postgres:');
    } finally {
      await empty.drop();
    }
  });
});
