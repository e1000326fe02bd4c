import request from 'supertest';
import { putObjects, textFiles } from '../factories/s3-objects';
import { finishAndCheck, startTestApp, TestApp } from '../support/test-app';

const OWNER = 'owner-1';
const STRANGER = 'stranger-2';

describe('programs API', () => {
  let t: TestApp;
  let programId: string;

  const rowCounts = async () => {
    const { rows } = await t.db.query(
      `SELECT (SELECT count(*) FROM programs)::int AS programs, (SELECT count(*) FROM program_states)::int AS states,
              (SELECT count(*) FROM program_files)::int AS files`,
    );
    return rows[0] as { programs: number; states: number; files: number };
  };

  beforeAll(async () => {
    t = await startTestApp({ MAX_BODY_BYTES: '65536' });
    const files = await putObjects(t.s3, t.sourceBucket, textFiles(4, 'api'));
    const res = await request(t.server).post('/v1/programs').query({ user_id: OWNER }).send({ name: 'mine', files });
    expect(res.status).toBe(202);
    programId = res.body.program_id;
    await finishAndCheck(t, programId, OWNER, files);
  });

  afterAll(async () => {
    await t?.close();
  });

  it.each([
    ['GET program', (id: string) => `/v1/programs/${id}`],
    ['GET failures', (id: string) => `/v1/programs/${id}/failures`],
    ['GET documents', (id: string) => `/v1/programs/${id}/documents`],
  ])('%s answers 404 to another user, exactly like a missing program', async (_name, path) => {
    const foreign = await request(t.server).get(path(programId)).query({ user_id: STRANGER });
    const missing = await request(t.server).get(path('prog_000000000000000000000000')).query({ user_id: STRANGER });
    expect(foreign.status).toBe(404);
    expect(foreign.body).toEqual({
      statusCode: 404,
      error: 'Not Found',
      message: expect.any(String),
      code: 'PROGRAM_NOT_FOUND',
    });
    expect(missing.status).toBe(404);
    expect(missing.body.code).toBe(foreign.body.code);
    expect(JSON.stringify(foreign.body)).not.toContain(OWNER);
  });

  it('answers 304 to a poller whose ETag is still current, 200 once the program changes', async () => {
    const first = await request(t.server).get(`/v1/programs/${programId}`).query({ user_id: OWNER });
    expect(first.status).toBe(200);
    const etag = first.headers.etag;
    expect(etag).toMatch(/^"\d+"$/);
    const again = await request(t.server)
      .get(`/v1/programs/${programId}`)
      .query({ user_id: OWNER })
      .set('If-None-Match', etag);
    expect(again.status).toBe(304);
    expect(again.text).toBe('');
    // A retry with nothing to retry still writes the program (its history grows): a new version.
    await request(t.server).post(`/v1/programs/${programId}/retry`).query({ user_id: OWNER, retry_type: 'document' });
    const changed = await request(t.server)
      .get(`/v1/programs/${programId}`)
      .query({ user_id: OWNER })
      .set('If-None-Match', etag);
    expect(changed.status).toBe(200);
    expect(changed.headers.etag).not.toBe(etag);
    expect(changed.body.metadata_json.retry_history).toHaveLength(1);
    // Another user gets the same 404 whatever ETag they send.
    const stranger = await request(t.server)
      .get(`/v1/programs/${programId}`)
      .query({ user_id: STRANGER })
      .set('If-None-Match', etag);
    expect(stranger.status).toBe(404);
    // Requests that arrive together share one version check: each still gets its own answer.
    const current = changed.headers.etag;
    const together = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        request(t.server)
          .get(`/v1/programs/${programId}`)
          .query({ user_id: i % 2 ? STRANGER : OWNER })
          .set('If-None-Match', i % 4 === 0 ? current : etag),
      ),
    );
    expect(together.map((r) => r.status)).toEqual(
      Array.from({ length: 40 }, (_, i) => (i % 2 ? 404 : i % 4 === 0 ? 304 : 200)),
    );
  });

  it('lists only the caller’s programs', async () => {
    const mine = await request(t.server).get('/v1/programs').query({ user_id: OWNER });
    const theirs = await request(t.server).get('/v1/programs').query({ user_id: STRANGER });
    expect(mine.status).toBe(200);
    expect(mine.body.items.map((p: { program_id: string }) => p.program_id)).toContain(programId);
    expect(theirs.body).toEqual({ items: [], next_cursor: null });
  });

  it('pages the program list with an opaque cursor, newest first', async () => {
    const user = 'pager';
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await request(t.server)
        .post('/v1/programs')
        .query({ user_id: user })
        .send({ name: `p${i}`, files: [`s3://${t.sourceBucket}/nothing-${i}.txt`] });
      ids.push(res.body.program_id);
    }
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const res = await request(t.server)
        .get('/v1/programs')
        .query({ user_id: user, limit: 2, ...(cursor ? { cursor } : {}) });
      expect(res.status).toBe(200);
      expect(res.body.items.length).toBeLessThanOrEqual(2);
      seen.push(...res.body.items.map((p: { program_id: string }) => p.program_id));
      cursor = res.body.next_cursor ?? undefined;
    } while (cursor);
    expect(seen).toEqual([...ids].reverse());
    for (const id of ids) await finishAndCheck(t, id, user);
  });

  describe('rejects bad input with a 400 and a code, writing nothing', () => {
    const valid = () => ({ name: 'ok', files: [`s3://${t.sourceBucket}/a.txt`] });

    it.each<[string, () => unknown, string]>([
      ['files not a list', () => ({ name: 'x', files: 's3://b/k' }), 'FILES_NOT_A_LIST'],
      ['files missing', () => ({ name: 'x' }), 'FILES_NOT_A_LIST'],
      ['empty list', () => ({ name: 'x', files: [] }), 'EMPTY_FILE_LIST'],
      ['non-s3 path', () => ({ name: 'x', files: ['https://example.com/a.txt'] }), 'INVALID_S3_PATH'],
      ['path without key', () => ({ name: 'x', files: ['s3://bucket-a/'] }), 'INVALID_S3_PATH'],
      ['non-string path', () => ({ name: 'x', files: [{ key: 'a' }] }), 'INVALID_S3_PATH'],
      ['duplicates', () => ({ name: 'x', files: ['s3://bkt/a', 's3://bkt/b', 's3://bkt/a'] }), 'DUPLICATE_FILES'],
      ['name missing', () => ({ files: ['s3://bkt/a'] }), 'INVALID_NAME'],
      ['name empty', () => ({ name: '', files: ['s3://bkt/a'] }), 'INVALID_NAME'],
      ['name too long', () => ({ name: 'n'.repeat(201), files: ['s3://bkt/a'] }), 'INVALID_NAME'],
      ['name not a string', () => ({ name: 12, files: ['s3://bkt/a'] }), 'INVALID_NAME'],
      ['body is a list', () => [valid()], 'INVALID_NAME'],
    ])('%s', async (_name, body, code) => {
      const before = await rowCounts();
      const res = await request(t.server)
        .post('/v1/programs')
        .query({ user_id: OWNER })
        .send(body() as object);
      expect(res.status).toBe(400);
      expect(res.body).toEqual({ statusCode: 400, error: 'Bad Request', message: expect.any(String), code });
      expect(await rowCounts()).toEqual(before);
    });

    it('over 100,000 paths', async () => {
      const big = await startTestApp();
      try {
        const files = Array.from({ length: 100_001 }, (_, i) => `s3://b-k/${i}`);
        const res = await request(big.server)
          .post('/v1/programs')
          .query({ user_id: OWNER })
          .send({ name: 'big', files });
        expect(res.status).toBe(400);
        expect(res.body.code).toBe('TOO_MANY_FILES');
        const { rows } = await big.db.query('SELECT count(*)::int AS n FROM programs');
        expect(rows[0].n).toBe(0);
      } finally {
        await big.close();
      }
    });

    it.each([
      ['missing', {}],
      ['empty', { user_id: '' }],
      ['too long', { user_id: 'u'.repeat(129) }],
    ])('user_id %s', async (_name, query) => {
      const before = await rowCounts();
      const post = await request(t.server).post('/v1/programs').query(query).send(valid());
      const get = await request(t.server).get('/v1/programs').query(query);
      for (const res of [post, get]) {
        expect(res.status).toBe(400);
        expect(res.body.code).toBe('INVALID_USER_ID');
      }
      expect(await rowCounts()).toEqual(before);
    });

    it('malformed JSON', async () => {
      const res = await request(t.server)
        .post('/v1/programs')
        .query({ user_id: OWNER })
        .set('content-type', 'application/json')
        .send('{"name": "x", "files": [');
      expect(res.status).toBe(400);
      expect(res.body).toEqual({
        statusCode: 400,
        error: 'Bad Request',
        message: expect.any(String),
        code: 'INVALID_JSON',
      });
    });

    it.each([
      ['limit', { limit: 0 }, 'INVALID_LIMIT'],
      ['limit', { limit: 1001 }, 'INVALID_LIMIT'],
      ['limit', { limit: 'ten' }, 'INVALID_LIMIT'],
      ['cursor', { cursor: 'not-a-cursor' }, 'INVALID_CURSOR'],
      ['stage', { stage: 'upload' }, 'INVALID_STAGE'],
    ])('bad %s on the failures list', async (_name, query, code) => {
      const res = await request(t.server)
        .get(`/v1/programs/${programId}/failures`)
        .query({ user_id: OWNER, ...query });
      expect(res.status).toBe(400);
      expect(res.body.code).toBe(code);
    });
  });

  it('answers 413 to a body over MAX_BODY_BYTES and writes nothing', async () => {
    const before = await rowCounts();
    const files = Array.from({ length: 3000 }, (_, i) => `s3://${t.sourceBucket}/some/long/prefix/file-${i}.txt`);
    const res = await request(t.server).post('/v1/programs').query({ user_id: OWNER }).send({ name: 'huge', files });
    expect(res.status).toBe(413);
    expect(res.body).toEqual({
      statusCode: 413,
      error: 'Payload Too Large',
      message: expect.any(String),
      code: 'PAYLOAD_TOO_LARGE',
    });
    expect(await rowCounts()).toEqual(before);
  });

  it('never leaks a stack trace, even for an unknown route', async () => {
    const res = await request(t.server).get('/v1/nowhere').query({ user_id: OWNER });
    expect(res.status).toBe(404);
    expect(res.body.code).toBe('NOT_FOUND');
    expect(JSON.stringify(res.body)).not.toMatch(/at .+\.(ts|js):\d+/);
  });

  describe('Idempotency-Key', () => {
    it('returns the same program for a repeated create', async () => {
      const body = { name: 'idem', files: [`s3://${t.sourceBucket}/idem.txt`] };
      const first = await request(t.server)
        .post('/v1/programs')
        .query({ user_id: OWNER })
        .set('Idempotency-Key', 'key-1')
        .send(body);
      const second = await request(t.server)
        .post('/v1/programs')
        .query({ user_id: OWNER })
        .set('Idempotency-Key', 'key-1')
        .send(body);
      expect(first.status).toBe(202);
      expect(second.status).toBe(202);
      expect(second.body.program_id).toBe(first.body.program_id);
      // The key belongs to the user: another user with the same key gets a program of their own.
      const other = await request(t.server)
        .post('/v1/programs')
        .query({ user_id: STRANGER })
        .set('Idempotency-Key', 'key-1')
        .send(body);
      expect(other.body.program_id).not.toBe(first.body.program_id);
      await finishAndCheck(t, first.body.program_id, OWNER);
      await finishAndCheck(t, other.body.program_id, STRANGER);
    });

    it('creates exactly one program for simultaneous requests with one key', async () => {
      const body = { name: 'race', files: [`s3://${t.sourceBucket}/race.txt`] };
      const answers = await Promise.all(
        Array.from({ length: 10 }, () =>
          request(t.server)
            .post('/v1/programs')
            .query({ user_id: OWNER })
            .set('Idempotency-Key', 'race-key')
            .send(body),
        ),
      );
      expect(answers.map((a) => a.status)).toEqual(Array(10).fill(202));
      expect(new Set(answers.map((a) => a.body.program_id)).size).toBe(1);
      const { rows } = await t.db.query(`SELECT count(*)::int AS n FROM programs WHERE idempotency_key = 'race-key'`);
      expect(rows[0].n).toBe(1);
      await finishAndCheck(t, answers[0].body.program_id, OWNER);
    });

    it('answers 409 IDEMPOTENCY_CONFLICT when the key is reused with another body', async () => {
      const first = await request(t.server)
        .post('/v1/programs')
        .query({ user_id: OWNER })
        .set('Idempotency-Key', 'key-2')
        .send({ name: 'a', files: [`s3://${t.sourceBucket}/x.txt`] });
      const again = await request(t.server)
        .post('/v1/programs')
        .query({ user_id: OWNER })
        .set('Idempotency-Key', 'key-2')
        .send({ name: 'b', files: [`s3://${t.sourceBucket}/x.txt`] });
      expect(again.status).toBe(409);
      expect(again.body.code).toBe('IDEMPOTENCY_CONFLICT');
      await finishAndCheck(t, first.body.program_id, OWNER);
    });
  });

  it('documents every route in the OpenAPI document', async () => {
    const res = await request(t.server).get('/docs-json');
    expect(res.status).toBe(200);
    const paths = Object.entries(res.body.paths as Record<string, Record<string, unknown>>).flatMap(([p, ops]) =>
      Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`),
    );
    expect(paths).toEqual(
      expect.arrayContaining([
        'POST /v1/programs',
        'GET /v1/programs',
        'GET /v1/programs/{programId}',
        'GET /v1/programs/{programId}/failures',
        'GET /v1/programs/{programId}/documents',
        'POST /v1/programs/{programId}/retry',
        'GET /v1/programs/{programId}/retries',
        'GET /v1/programs/{programId}/retries/{retryId}',
        'GET /v1/programs/{programId}/files/{index}',
        'GET /v1/programs/{programId}/failures/export',
        'POST /v1/programs/{programId}/cancel',
        'GET /health/live',
        'GET /health/ready',
        'GET /v1/me',
        'POST /v1/admin/keys',
        'GET /v1/admin/keys',
        'DELETE /v1/admin/keys/{keyId}',
      ]),
    );
    // The answers a generated client needs, errors included.
    const answers = (method: string, path: string) =>
      Object.keys((res.body.paths[path][method] as { responses: Record<string, unknown> }).responses).sort();
    expect(answers('post', '/v1/programs/{programId}/retry')).toEqual([
      '200',
      '202',
      '400',
      '401',
      '403',
      '404',
      '409',
      '413',
      '415',
      '429',
      '500',
      '503',
    ]);
    expect(answers('get', '/v1/programs/{programId}/retries/{retryId}')).toEqual([
      '200',
      '400',
      '401',
      '403',
      '404',
      '500',
    ]);
    expect(answers('get', '/v1/programs/{programId}/files/{index}')).toEqual([
      '200',
      '400',
      '401',
      '403',
      '404',
      '500',
    ]);
    expect(answers('post', '/v1/programs/{programId}/cancel')).toEqual([
      '202',
      '400',
      '401',
      '403',
      '404',
      '409',
      '500',
    ]);
    expect(answers('post', '/v1/admin/keys')).toEqual(['201', '400', '401', '403', '500']);
    expect(answers('delete', '/v1/admin/keys/{keyId}')).toEqual(['204', '400', '401', '403', '404', '500']);
    // Every /v1 operation declares the bearer scheme, so the Swagger UI's Authorize applies to it.
    for (const [path, ops] of Object.entries(res.body.paths as Record<string, Record<string, any>>)) {
      if (!path.startsWith('/v1/')) continue;
      for (const [method, op] of Object.entries(ops))
        expect([method, path, op.security]).toEqual([method, path, [{ 'api-key': [] }]]);
    }
    expect(res.body.components.securitySchemes['api-key']).toEqual(
      expect.objectContaining({ type: 'http', scheme: 'bearer' }),
    );
    const schemas = res.body.components.schemas as Record<string, { properties?: Record<string, unknown> }>;
    expect(Object.keys(schemas.RetryRunDto.properties ?? {})).toEqual(
      expect.arrayContaining(['retry_id', 'status', 'started_at', 'finished_at', 'results', 'skipped']),
    );
    expect(Object.keys(schemas.CreateProgramDto.properties ?? {})).toEqual(
      expect.arrayContaining(['name', 'files', 'failure_budget', 'webhook_url']),
    );
    const ui = await request(t.server).get('/docs/');
    expect(ui.status).toBe(200);
    expect(ui.text).toContain('swagger');
  });

  it('is ready when the database and the bucket answer', async () => {
    const ready = await request(t.server).get('/health/ready');
    expect(ready.status).toBe(200);
    expect(ready.body.details).toMatchObject({
      database: { status: 'up' },
      storage: { status: 'up', bucket: t.bucket },
    });
    expect((await request(t.server).get('/health/live')).status).toBe(200);
  });
});
