import { createHash } from 'node:crypto';
import request from 'supertest';
import { putObjects, textFiles } from '../factories/s3-objects';
import { bearer, mintKey } from '../support/auth';
import { startTestApp, TestApp } from '../support/test-app';

/** SPEC §8.8: who a caller is, in each AUTH_MODE, on the real application and database. */

const METRICS_TOKEN = 'scrape-token-0123456789abcdef';
const secretOf = (key: string) => key.slice('bik_0123456789abcdef_'.length);

describe('AUTH_MODE=api-key', () => {
  let a: TestApp;
  // A second replica on the same database: what one revokes, the other refuses at once.
  let b: TestApp;
  let root: string;
  let files: string[];

  beforeAll(async () => {
    a = await startTestApp({ AUTH_MODE: 'api-key', METRICS_TOKEN });
    b = await startTestApp(
      { AUTH_MODE: 'api-key', S3_BUCKET: a.bucket },
      { database: a.databaseUrl, sourceBucket: a.sourceBucket },
    );
    // No key exists yet: the first admin key goes straight into the database, as the CLI does it.
    root = (await mintKey(a.db, 'root', true)).key;
    files = await putObjects(a.s3, a.sourceBucket, textFiles(2, 'identity'));
  });

  afterAll(async () => {
    await b?.close();
    await a?.close();
  });

  const makeKey = async (userId: string, admin?: boolean) => {
    const res = await request(a.server)
      .post('/v1/admin/keys')
      .set(bearer(root))
      .send({ user_id: userId, ...(admin === undefined ? {} : { admin }) });
    expect(res.status).toBe(201);
    return res.body as { key_id: string; user_id: string; admin: boolean; key: string };
  };

  it('makes a key over the API, shows it once and keeps only the hash of its secret', async () => {
    const res = await request(a.server).post('/v1/admin/keys').set(bearer(root)).send({ user_id: 'alice' });
    expect(res.status).toBe(201);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(Object.keys(res.body).sort()).toEqual(['admin', 'key', 'key_id', 'user_id']);
    expect(res.body).toMatchObject({ user_id: 'alice', admin: false });
    const { key, key_id: keyId } = res.body as { key: string; key_id: string };
    expect(key).toMatch(new RegExp(`^bik_${keyId}_[A-Za-z0-9_-]{43}$`));

    const { rows } = await a.db.query(
      `SELECT secret_sha256, created_by, row_to_json(k)::text AS everything FROM api_keys k WHERE key_id = $1`,
      [keyId],
    );
    expect(rows[0].secret_sha256.equals(createHash('sha256').update(secretOf(key)).digest())).toBe(true);
    expect(rows[0].created_by).toBe('root');
    expect(rows[0].everything).not.toContain(secretOf(key));

    const list = await request(a.server).get('/v1/admin/keys').set(bearer(root));
    expect(list.status).toBe(200);
    const listed = list.body.items.find((k: { key_id: string }) => k.key_id === keyId);
    expect(listed).toEqual({
      key_id: keyId,
      user_id: 'alice',
      admin: false,
      created_by: 'root',
      created_at: expect.any(String),
      revoked_at: null,
    });
    expect(list.text).not.toContain(secretOf(key));
    expect(list.body.items.find((k: { user_id: string }) => k.user_id === 'root')).toMatchObject({
      admin: true,
      created_by: null,
    });

    const me = await request(a.server).get('/v1/me').set(bearer(key));
    expect(me.status).toBe(200);
    expect(me.body).toEqual({ user_id: 'alice', admin: false, auth_mode: 'api-key' });
    const rootMe = await request(a.server).get('/v1/me').set(bearer(root));
    expect(rootMe.body).toEqual({ user_id: 'root', admin: true, auth_mode: 'api-key' });
  });

  it("acts as the key's user: the program is theirs, user_id optional and checked", async () => {
    const alice = (await makeKey('alice')).key;
    const created = await request(a.server).post('/v1/programs').set(bearer(alice)).send({ name: 'mine', files });
    expect(created.status).toBe(202);
    const id = created.body.program_id as string;
    const read = await request(a.server).get(`/v1/programs/${id}`).set(bearer(alice));
    expect([read.status, read.body.user_id]).toEqual([200, 'alice']);
    const checked = await request(a.server).get(`/v1/programs/${id}`).query({ user_id: 'alice' }).set(bearer(alice));
    expect(checked.status).toBe(200);
    // On the other replica too: keys live in the shared database.
    expect((await request(b.server).get(`/v1/programs/${id}`).set(bearer(alice))).status).toBe(200);

    const mismatch = await request(a.server).get(`/v1/programs/${id}`).query({ user_id: 'bob' }).set(bearer(alice));
    expect([mismatch.status, mismatch.body.code]).toEqual([403, 'USER_MISMATCH']);
    const listMismatch = await request(a.server).get('/v1/programs').query({ user_id: 'bob' }).set(bearer(alice));
    expect([listMismatch.status, listMismatch.body.code]).toEqual([403, 'USER_MISMATCH']);
    const malformed = await request(a.server).get('/v1/programs').query({ user_id: '' }).set(bearer(alice));
    expect([malformed.status, malformed.body.code]).toEqual([400, 'INVALID_USER_ID']);
  });

  it.each([
    ['no Authorization header', {}],
    ['a Basic authorization', { authorization: 'Basic cm9vdDpyb290' }],
    ['an empty Bearer', { authorization: 'Bearer ' }],
    ['something that is not a key', { authorization: 'Bearer not-a-key' }],
    ['a well-formed key nobody made', bearer(`bik_0123456789abcdef_${'A'.repeat(43)}`)],
  ])('answers 401 UNAUTHENTICATED to %s, on every /v1 route', async (_what, headers: Record<string, string>) => {
    for (const [method, path] of [
      ['get', '/v1/programs'],
      ['post', '/v1/programs'],
      ['get', '/v1/programs/prog_000000000000000000000000'],
      ['get', '/v1/me'],
      ['get', '/v1/admin/keys'],
      ['delete', '/v1/admin/keys/0123456789abcdef'],
    ] as const) {
      const res = await request(a.server)[method](path).set(headers).query({ user_id: 'root' });
      expect([method, path, res.status, res.body.code]).toEqual([method, path, 401, 'UNAUTHENTICATED']);
      expect(res.headers['www-authenticate']).toMatch(/^Bearer /);
    }
  });

  it("refuses a key whose id exists with another secret, and never names the key's parts in the answer", async () => {
    const made = await makeKey('carol');
    const wrong = `bik_${made.key_id}_${'B'.repeat(43)}`;
    const res = await request(a.server).get('/v1/programs').set(bearer(wrong));
    expect([res.status, res.body.code]).toEqual([401, 'UNAUTHENTICATED']);
    expect(res.text).not.toContain(made.key_id);
    const right = await request(a.server).get('/v1/programs').set(bearer(made.key));
    expect(right.status).toBe(200);
  });

  it('keeps key management and the all-users list to admins: 403 ADMIN_REQUIRED', async () => {
    const dave = (await makeKey('dave')).key;
    for (const req of [
      request(a.server).post('/v1/admin/keys').send({ user_id: 'dave', admin: true }),
      request(a.server).get('/v1/admin/keys'),
      request(a.server).delete('/v1/admin/keys/0123456789abcdef'),
      request(a.server).get('/v1/programs').query({ all_users: 'true' }),
    ]) {
      const res = await req.set(bearer(dave));
      expect([res.status, res.body.code]).toEqual([403, 'ADMIN_REQUIRED']);
    }
    // An admin's key made over the API is one.
    const ops = await makeKey('ops', true);
    expect(ops.admin).toBe(true);
    const all = await request(a.server).get('/v1/programs').query({ all_users: 'true' }).set(bearer(ops.key));
    expect(all.status).toBe(200);
    expect(all.body.items.map((p: { user_id: string }) => p.user_id)).toContain('alice');
    const bad = await request(a.server).post('/v1/admin/keys').set(bearer(root)).send({ user_id: 'x', admin: 'yes' });
    expect([bad.status, bad.body.code]).toEqual([400, 'INVALID_ADMIN']);
    const noUser = await request(a.server).post('/v1/admin/keys').set(bearer(root)).send({ admin: true });
    expect([noUser.status, noUser.body.code]).toEqual([400, 'INVALID_USER_ID']);
  });

  it('stops a revoked key at once on every replica (no cache)', async () => {
    const erin = await makeKey('erin');
    expect((await request(a.server).get('/v1/programs').set(bearer(erin.key))).status).toBe(200);
    expect((await request(b.server).get('/v1/programs').set(bearer(erin.key))).status).toBe(200);

    // Revoked through replica B; both refuse the very next request.
    const revoked = await request(b.server).delete(`/v1/admin/keys/${erin.key_id}`).set(bearer(root));
    expect(revoked.status).toBe(204);
    for (const replica of [a, b]) {
      const res = await request(replica.server).get('/v1/programs').set(bearer(erin.key));
      expect([res.status, res.body.code]).toEqual([401, 'UNAUTHENTICATED']);
    }
    const list = await request(a.server).get('/v1/admin/keys').set(bearer(root));
    const row = list.body.items.find((k: { key_id: string }) => k.key_id === erin.key_id);
    expect(row.revoked_at).toEqual(expect.any(String));
    // Revoking again changes nothing; a key that never existed is 404.
    expect((await request(a.server).delete(`/v1/admin/keys/${erin.key_id}`).set(bearer(root))).status).toBe(204);
    const again = await request(a.server).get('/v1/admin/keys').set(bearer(root));
    expect(again.body.items.find((k: { key_id: string }) => k.key_id === erin.key_id).revoked_at).toBe(row.revoked_at);
    for (const id of ['fedcba9876543210', 'not-a-key-id']) {
      const missing = await request(a.server).delete(`/v1/admin/keys/${id}`).set(bearer(root));
      expect([missing.status, missing.body.code]).toEqual([404, 'KEY_NOT_FOUND']);
    }
  });

  it('pages the key list with cursors', async () => {
    const first = await request(a.server).get('/v1/admin/keys').query({ limit: 2 }).set(bearer(root));
    expect(first.body.items).toHaveLength(2);
    const rest = await request(a.server)
      .get('/v1/admin/keys')
      .query({ limit: 1000, cursor: first.body.next_cursor })
      .set(bearer(root));
    const all = await request(a.server).get('/v1/admin/keys').set(bearer(root));
    expect([...first.body.items, ...rest.body.items]).toEqual(all.body.items);
    const bad = await request(a.server).get('/v1/admin/keys').query({ cursor: 'nonsense' }).set(bearer(root));
    expect([bad.status, bad.body.code]).toEqual([400, 'INVALID_CURSOR']);
  });

  it('keeps /metrics behind METRICS_TOKEN, health, the console and the API docs open', async () => {
    expect((await request(a.server).get('/metrics')).status).toBe(401);
    expect(
      (
        await request(a.server)
          .get('/metrics')
          .set(bearer(`${METRICS_TOKEN}x`))
      ).status,
    ).toBe(401);
    // An API key, even an admin's, is not the metrics token.
    expect((await request(a.server).get('/metrics').set(bearer(root))).status).toBe(401);
    const scraped = await request(a.server).get('/metrics').set(bearer(METRICS_TOKEN));
    expect(scraped.status).toBe(200);
    expect(scraped.text).toContain('ingest_files_total');
    // Without METRICS_TOKEN (replica B) /metrics is open, as before.
    expect((await request(b.server).get('/metrics')).status).toBe(200);
    for (const path of ['/health/live', '/health/ready', '/ui', '/ui/app.mjs', '/docs-json']) {
      expect([path, (await request(a.server).get(path)).status]).toEqual([path, 200]);
    }
  });
});

describe('AUTH_MODE=trusted-header', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({
      AUTH_MODE: 'trusted-header',
      AUTH_USER_HEADER: 'X-Forwarded-User',
      AUTH_ADMIN_USERS: 'ops',
    });
  });

  afterAll(async () => {
    await t?.close();
  });

  it("takes the gateway's header as the identity, with admins from AUTH_ADMIN_USERS", async () => {
    const files = await putObjects(t.s3, t.sourceBucket, textFiles(1, 'gateway'));
    const created = await request(t.server)
      .post('/v1/programs')
      .set('x-forwarded-user', 'grace')
      .send({ name: 'g', files });
    expect(created.status).toBe(202);
    const mine = await request(t.server).get('/v1/programs').set('x-forwarded-user', 'grace');
    expect(mine.body.items.map((p: { user_id: string }) => p.user_id)).toEqual(['grace']);
    expect((await request(t.server).get('/v1/me').set('x-forwarded-user', 'grace')).body).toEqual({
      user_id: 'grace',
      admin: false,
      auth_mode: 'trusted-header',
    });
    expect((await request(t.server).get('/v1/me').set('x-forwarded-user', 'ops')).body).toEqual({
      user_id: 'ops',
      admin: true,
      auth_mode: 'trusted-header',
    });
    const all = await request(t.server).get('/v1/programs').query({ all_users: 'true' }).set('x-forwarded-user', 'ops');
    expect(all.body.items.map((p: { program_id: string }) => p.program_id)).toEqual([created.body.program_id]);
    const mismatch = await request(t.server)
      .get('/v1/programs')
      .query({ user_id: 'ops' })
      .set('x-forwarded-user', 'grace');
    expect([mismatch.status, mismatch.body.code]).toEqual([403, 'USER_MISMATCH']);
  });

  it('answers 401 without the header, with an empty one, and to an API key or user_id alone', async () => {
    const root = (await mintKey(t.db, 'root', true)).key;
    for (const req of [
      request(t.server).get('/v1/programs'),
      request(t.server).get('/v1/programs').set('x-forwarded-user', ''),
      request(t.server).get('/v1/programs').set(bearer(root)),
      request(t.server).get('/v1/programs').query({ user_id: 'ops' }),
      // The default header name is not this instance's header.
      request(t.server).get('/v1/programs').set('x-authenticated-user', 'ops'),
    ]) {
      const res = await req;
      expect([res.status, res.body.code]).toEqual([401, 'UNAUTHENTICATED']);
    }
    expect((await request(t.server).get('/health/live')).status).toBe(200);
  });
});

describe('AUTH_MODE=none (the default)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp();
  });

  afterAll(async () => {
    await t?.close();
  });

  it('takes user_id as the identity; /v1/me answers without one; nobody is an admin', async () => {
    expect((await request(t.server).get('/v1/me')).body).toEqual({ user_id: null, admin: false, auth_mode: 'none' });
    expect((await request(t.server).get('/v1/me').query({ user_id: 'alice' })).body).toEqual({
      user_id: 'alice',
      admin: false,
      auth_mode: 'none',
    });
    const missing = await request(t.server).get('/v1/programs');
    expect([missing.status, missing.body.code]).toEqual([400, 'INVALID_USER_ID']);
    // An Authorization header means nothing here: it neither identifies nor refuses.
    const ignored = await request(t.server).get('/v1/programs').query({ user_id: 'alice' }).set(bearer('whatever'));
    expect(ignored.status).toBe(200);
    for (const req of [
      request(t.server).get('/v1/programs').query({ all_users: 'true' }),
      request(t.server).get('/v1/admin/keys'),
      request(t.server).post('/v1/admin/keys').send({ user_id: 'alice', admin: true }),
    ]) {
      const res = await req.query({ user_id: 'admin' });
      expect([res.status, res.body.code]).toEqual([403, 'ADMIN_REQUIRED']);
    }
    const badFlag = await request(t.server).get('/v1/programs').query({ user_id: 'alice', all_users: 'yes' });
    expect([badFlag.status, badFlag.body.code]).toEqual([400, 'INVALID_ALL_USERS']);
  });
});
