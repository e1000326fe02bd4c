import request from 'supertest';
import { putObjects, s3Url, textFiles } from '../factories/s3-objects';
import { bearer, mintKey } from '../support/auth';
import { startTestApp, TestApp } from '../support/test-app';
import { eventually } from '../support/wait';

/**
 * A user never sees another user's program, by any route, in any identity mode; an admin (where
 * there is one) sees and acts on every program. One table of routes, run in every AUTH_MODE.
 */
type Mode = 'none' | 'api-key' | 'trusted-header';
type Req = request.Test;

interface Ids {
  program: string;
  retry: string;
}

interface Route {
  name: string;
  method: 'get' | 'post';
  path: (ids: Ids) => string;
  /** What an admin gets for alice's program: proof that the route reached the program. */
  admin: number;
}

const ROUTES: Route[] = [
  { name: 'get', method: 'get', path: (i) => `/v1/programs/${i.program}`, admin: 200 },
  { name: 'failures', method: 'get', path: (i) => `/v1/programs/${i.program}/failures`, admin: 200 },
  { name: 'failures/counts', method: 'get', path: (i) => `/v1/programs/${i.program}/failures/counts`, admin: 200 },
  { name: 'failures/export', method: 'get', path: (i) => `/v1/programs/${i.program}/failures/export`, admin: 200 },
  { name: 'documents', method: 'get', path: (i) => `/v1/programs/${i.program}/documents`, admin: 200 },
  { name: 'files/{index}', method: 'get', path: (i) => `/v1/programs/${i.program}/files/0`, admin: 200 },
  { name: 'retries', method: 'get', path: (i) => `/v1/programs/${i.program}/retries`, admin: 200 },
  {
    name: 'retries/{retry_id}',
    method: 'get',
    path: (i) => `/v1/programs/${i.program}/retries/${i.retry}`,
    admin: 200,
  },
  { name: 'retry', method: 'post', path: (i) => `/v1/programs/${i.program}/retry`, admin: 200 },
  // The program has settled: 409 says the cancel reached it (a stranger gets 404 before that).
  { name: 'cancel', method: 'post', path: (i) => `/v1/programs/${i.program}/cancel`, admin: 409 },
];

const MISSING = 'prog_000000000000000000000000';
const ALICE = 'alice';
const BOB = 'bob';
const OPS = 'ops';

describe.each<Mode>(['none', 'api-key', 'trusted-header'])('AUTH_MODE=%s: who sees which program', (mode) => {
  let t: TestApp;
  const keys = new Map<string, string>();
  let alice: Ids;
  let bobProgram: string;

  /** A request made as `user` the way this mode identifies callers. */
  const as = (user: string, req: Req): Req => {
    if (mode === 'none') return req.query({ user_id: user });
    if (mode === 'api-key') return req.set(bearer(keys.get(user)!));
    return req.set('x-authenticated-user', user);
  };
  const call = (user: string, method: 'get' | 'post', path: string) => as(user, request(t.server)[method](path));
  // Admins: --admin keys, or AUTH_ADMIN_USERS behind a gateway; with AUTH_MODE=none there are none.
  const hasAdmin = mode !== 'none';

  const settled = (user: string, programId: string) =>
    eventually(async () => {
      const res = await call(user, 'get', `/v1/programs/${programId}`);
      expect(res.status).toBe(200);
      return ['pending', 'processing'].includes(res.body.status) ? undefined : res.body;
    }, `${programId} to settle`);

  beforeAll(async () => {
    t = await startTestApp(
      mode === 'none' ? {} : mode === 'api-key' ? { AUTH_MODE: mode } : { AUTH_MODE: mode, AUTH_ADMIN_USERS: OPS },
    );
    if (mode === 'api-key') {
      for (const [user, admin] of [
        [ALICE, false],
        [BOB, false],
        [OPS, true],
      ] as const)
        keys.set(user, (await mintKey(t.db, user, admin)).key);
    }
    // Two files with Documents and one never uploaded: every read route has something to show.
    const files = await putObjects(t.s3, t.sourceBucket, textFiles(2, `iso-${mode}`));
    files.push(s3Url(t.sourceBucket, `iso-${mode}/missing.txt`));
    const created = await call(ALICE, 'post', '/v1/programs').send({ name: 'alice', files });
    expect(created.status).toBe(202);
    await settled(ALICE, created.body.program_id);
    const retried = await call(ALICE, 'post', `/v1/programs/${created.body.program_id}/retry`);
    expect(retried.status).toBe(200);
    alice = { program: created.body.program_id, retry: retried.body.retry_id };

    const theirs = await call(BOB, 'post', '/v1/programs').send({ name: 'bob', files: files.slice(0, 1) });
    expect(theirs.status).toBe(202);
    bobProgram = theirs.body.program_id;
    await settled(BOB, bobProgram);
  });

  afterAll(async () => {
    await t?.close();
  });

  it('alice reads her own program by every route', async () => {
    for (const route of ROUTES.filter((r) => r.method === 'get')) {
      const res = await call(ALICE, 'get', route.path(alice));
      expect([route.name, res.status]).toEqual([route.name, 200]);
    }
  });

  it("lists to bob only bob's programs", async () => {
    const res = await call(BOB, 'get', '/v1/programs');
    expect(res.status).toBe(200);
    expect(res.body.items.map((p: { program_id: string }) => p.program_id)).toEqual([bobProgram]);
  });

  it.each(ROUTES)("answers bob's $name of alice's program 404, exactly as a missing program", async (route) => {
    const foreign = await call(BOB, route.method, route.path(alice));
    const missing = await call(BOB, route.method, route.path({ ...alice, program: MISSING }));
    expect(foreign.status).toBe(404);
    expect(foreign.body).toEqual({
      statusCode: 404,
      error: 'Not Found',
      message: 'program not found',
      code: 'PROGRAM_NOT_FOUND',
    });
    expect(foreign.body).toEqual(missing.body);
  });

  // With AUTH_MODE=none user_id is the identity itself: naming alice is being alice, nothing to refuse.
  if (mode !== 'none') {
    it.each(ROUTES)("refuses bob's $name naming alice in user_id: 403 USER_MISMATCH", async (route) => {
      const res = await call(BOB, route.method, route.path(alice)).query({ user_id: ALICE });
      expect([res.status, res.body.code]).toEqual([403, 'USER_MISMATCH']);
    });
  }

  it("left alice's program as it was: bob's retry and cancel changed nothing", async () => {
    const runs = await call(ALICE, 'get', `/v1/programs/${alice.program}/retries`);
    expect(runs.body.items.map((r: { retry_id: string }) => r.retry_id)).toEqual([alice.retry]);
    expect((await call(ALICE, 'get', `/v1/programs/${alice.program}`)).body.status).toBe('completed_with_failures');
  });

  it("refuses every user's list (all_users=true) to a user who is not an admin", async () => {
    const res = await call(BOB, 'get', '/v1/programs').query({ all_users: 'true' });
    expect([res.status, res.body.code]).toEqual([403, 'ADMIN_REQUIRED']);
    const own = await call(BOB, 'get', '/v1/programs').query({ all_users: 'false' });
    expect(own.status).toBe(200);
  });

  if (hasAdmin) {
    it("lists every user's programs to an admin with all_users=true, and only theirs without", async () => {
      const all = await call(OPS, 'get', '/v1/programs').query({ all_users: 'true' });
      expect(all.status).toBe(200);
      const ids = all.body.items.map((p: { program_id: string }) => p.program_id);
      expect(ids).toEqual([bobProgram, alice.program]);
      expect(all.body.items.map((p: { user_id: string }) => p.user_id)).toEqual([BOB, ALICE]);
      // Paged like any list: the cursor holds the position across all users.
      const first = await call(OPS, 'get', '/v1/programs').query({ all_users: 'true', limit: 1 });
      const second = await call(OPS, 'get', '/v1/programs').query({
        all_users: 'true',
        limit: 1,
        cursor: first.body.next_cursor,
      });
      expect([...first.body.items, ...second.body.items].map((p: { program_id: string }) => p.program_id)).toEqual(ids);
      const own = await call(OPS, 'get', '/v1/programs');
      expect(own.body.items).toEqual([]);
    });

    it.each(ROUTES)("lets an admin $name alice's program", async (route) => {
      const res = await call(OPS, route.method, route.path(alice));
      expect([route.name, res.status]).toEqual([route.name, route.admin]);
      if (route.name === 'cancel') expect(res.body.code).toBe('PROGRAM_NOT_RUNNING');
      if (route.name === 'retry') expect(res.body.program_id).toBe(alice.program);
    });

    it("records the admin's retry on alice's program, which stays hers", async () => {
      const runs = await call(ALICE, 'get', `/v1/programs/${alice.program}/retries`);
      expect(runs.body.items).toHaveLength(2);
      const program = await call(ALICE, 'get', `/v1/programs/${alice.program}`);
      expect(program.body.user_id).toBe(ALICE);
    });
  } else {
    // Nobody is an admin: the operator's user id is one more user, who sees only their own.
    it.each(ROUTES)("answers $name of alice's program 404 to ops too: nobody is an admin", async (route) => {
      const res = await call(OPS, route.method, route.path(alice));
      expect([route.name, res.status, res.body.code]).toEqual([route.name, 404, 'PROGRAM_NOT_FOUND']);
    });

    it("refuses every user's list to ops too", async () => {
      const res = await call(OPS, 'get', '/v1/programs').query({ all_users: 'true' });
      expect([res.status, res.body.code]).toEqual([403, 'ADMIN_REQUIRED']);
    });
  }
});
