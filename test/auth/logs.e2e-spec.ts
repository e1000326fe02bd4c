import request from 'supertest';
import { bearer, logCapture, mintKey } from '../support/auth';
import { startTestApp, TestApp } from '../support/test-app';

/**
 * What the service logs about identity. One capture for the whole file, and one app at a time:
 * Nest's logger and pino's out-of-request logger are process-wide, so the apps of one file share
 * where their boot lines go (and at the first app's level: both log everything here). Lines logged while an app
 * boots are held until it listens (as Nest does), so each app here listens, as the service does.
 */
const METRICS_TOKEN = 'scrape-token-0123456789abcdef';
const secretOf = (key: string) => key.slice('bik_0123456789abcdef_'.length);

describe('identity in the log', () => {
  const log = logCapture();
  let t: TestApp | undefined;

  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  it('warns at boot when a real database is configured and nobody is authenticated (AUTH_MODE=none)', async () => {
    // startTestApp sets DATABASE_URL, as a real deployment does.
    t = await startTestApp({ LOG_LEVEL: 'debug', LOG_FORMAT: 'json' }, { logDestination: log.destination });
    await t.app.listen(0, '127.0.0.1');
    const identity = log.lines().filter((l) => l.context === 'Identity');
    expect(identity).toHaveLength(1);
    expect(identity[0]).toEqual(expect.objectContaining({ level: 40 }));
    expect(identity[0].msg).toMatch(
      /^AUTH_MODE=none with DATABASE_URL set: .*anyone who can reach the service can act as any user/,
    );
  });

  it('names the mode at boot and never writes a key, its secret, a token or an Authorization header', async () => {
    const before = log.lines().length;
    t = await startTestApp(
      { AUTH_MODE: 'api-key', METRICS_TOKEN, LOG_LEVEL: 'debug', LOG_FORMAT: 'json' },
      { logDestination: log.destination },
    );
    await t.app.listen(0, '127.0.0.1');
    const boot = log
      .lines()
      .slice(before)
      .filter((l) => l.context === 'Identity');
    expect(boot.map((l) => [l.level, l.msg])).toEqual([[30, 'AUTH_MODE=api-key']]);

    const root = (await mintKey(t.db, 'root', true)).key;
    const made = await request(t.server).post('/v1/admin/keys').set(bearer(root)).send({ user_id: 'frank' });
    expect(made.status).toBe(201);
    const key = made.body.key as string;
    const wrong = `bik_${made.body.key_id}_${'C'.repeat(43)}`;
    const asFrank = bearer(key);
    expect((await request(t.server).get('/v1/programs').set(asFrank)).status).toBe(200);
    // Failing requests of every kind: a missing program, another user named, a bad body, a wrong
    // secret, no key at all, a failing revoke; and a scrape with its token.
    expect((await request(t.server).get('/v1/programs/prog_000000000000000000000000').set(asFrank)).status).toBe(404);
    expect((await request(t.server).get('/v1/programs').query({ user_id: 'x' }).set(asFrank)).status).toBe(403);
    expect((await request(t.server).post('/v1/programs').set(asFrank).send({ name: 'x' })).status).toBe(400);
    expect((await request(t.server).get('/v1/programs').set(bearer(wrong))).status).toBe(401);
    expect((await request(t.server).get('/v1/programs')).status).toBe(401);
    expect((await request(t.server).delete('/v1/admin/keys/0123456789abcdef').set(asFrank)).status).toBe(403);
    expect((await request(t.server).delete(`/v1/admin/keys/${made.body.key_id}`).set(bearer(root))).status).toBe(204);
    expect((await request(t.server).get('/v1/programs').set(asFrank)).status).toBe(401);
    expect((await request(t.server).get('/metrics').set(bearer(METRICS_TOKEN))).status).toBe(200);

    const text = log.text();
    // The capture saw it all: the requests, their statuses, and the key's making and revoking by id.
    expect(text).toContain('"url":"/v1/programs/prog_000000000000000000000000"');
    const lines = log.lines();
    const statuses = new Set(lines.map((l) => (l.res as { statusCode?: number } | undefined)?.statusCode));
    for (const status of [200, 201, 204, 400, 401, 403, 404])
      expect([status, statuses.has(status)]).toEqual([status, true]);
    const audit = lines.filter((l) => l.key_id === made.body.key_id).map((l) => l.msg);
    expect(audit).toEqual([
      expect.stringMatching(/^API key [0-9a-f]{16} made for frank by root$/),
      expect.stringMatching(/^API key [0-9a-f]{16} revoked by root$/),
    ]);
    for (const secret of [key, secretOf(key), wrong, secretOf(wrong), root, secretOf(root), METRICS_TOKEN]) {
      expect(text).not.toContain(secret);
    }
    expect(text.toLowerCase()).not.toContain('authorization');
    expect(text.toLowerCase()).not.toContain('bearer');
  });
});
