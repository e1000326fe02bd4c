import { randomBytes } from 'node:crypto';
import request from 'supertest';
import { Lifecycle } from '../../src/common/lifecycle';
import { blockDocuments, clearDocumentFaults, programLockIsFree, slowDocuments } from '../factories/db-faults';
import { putObjects, textFiles } from '../factories/s3-objects';
import { finishAndCheck, startTestApp, TestApp } from '../support/test-app';
import { until } from '../support/wait';

/**
 * Hostile input, one table: every case gets its 4xx (or a harmless 2xx where the input is merely
 * odd), a machine-readable code, never a 500, never a stack trace, never another user's data.
 */
const OWNER = 'owner-secret-user';
const SECRET_NAME = 'owner-secret-program-name';

type Call = (t: TestApp, ownerProgram: string) => PromiseLike<request.Response>;

interface Case {
  name: string;
  call: Call;
  status: number;
  code?: string;
  /** Headers the answer must carry. */
  headers?: Record<string, string>;
}

const SOURCE_BUCKET = `src-${randomBytes(5).toString('hex')}`;
// A program whose Document retry is slowed in the database, so a retry of it is running for sure
// while the capacity case asks for another one (set up in beforeAll).
let slowProgram = '';
const cursor = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** Starts a slow retry, waits until it holds its lock, asks for a second one, then lets the first finish. */
async function secondRetryWhileOneRuns(t: TestApp, ownerProgram: string): Promise<request.Response> {
  await slowDocuments(t.db, 2);
  const first = request(t.server)
    .post(`/v1/programs/${slowProgram}/retry`)
    .query({ user_id: OWNER })
    .then((r) => r);
  try {
    await until(async () => !(await programLockIsFree(t.db, slowProgram)), 'the program lock to be taken');
    return await request(t.server).post(`/v1/programs/${ownerProgram}/retry`).query({ user_id: OWNER });
  } finally {
    expect((await first).status).toBe(200);
    await clearDocumentFaults(t.db);
  }
}

/** What main.ts does on SIGTERM before anything is torn down (the real signal: test/boot). */
function draining(t: TestApp): void {
  t.app.get(Lifecycle).beginShutdown();
}

const post = (t: TestApp, query: Record<string, unknown>, body: unknown) =>
  request(t.server)
    .post('/v1/programs')
    .query(query)
    .send(body as object);
const valid = (t: TestApp) => ({ name: 'ok', files: [`s3://${t.sourceBucket}/a.txt`] });
const deep = (n: number): unknown => {
  let v: unknown = 's3://bkt/k';
  for (let i = 0; i < n; i++) v = [v];
  return v;
};

const cases: Case[] = [
  // user_id
  { name: 'user_id missing', call: (t) => post(t, {}, valid(t)), status: 400, code: 'INVALID_USER_ID' },
  {
    name: 'user_id empty',
    call: (t) => request(t.server).get('/v1/programs').query({ user_id: '' }),
    status: 400,
    code: 'INVALID_USER_ID',
  },
  {
    name: 'user_id 129 chars',
    call: (t) =>
      request(t.server)
        .get('/v1/programs')
        .query({ user_id: 'u'.repeat(129) }),
    status: 400,
    code: 'INVALID_USER_ID',
  },
  {
    name: 'user_id 10,000 chars',
    call: (t) =>
      request(t.server)
        .get('/v1/programs')
        .query({ user_id: 'u'.repeat(10_000) }),
    status: 400,
    code: 'INVALID_USER_ID',
  },
  {
    name: 'user_id twice (array)',
    call: (t) => request(t.server).get(`/v1/programs?user_id=a&user_id=${OWNER}`),
    status: 400,
    code: 'INVALID_USER_ID',
  },
  {
    name: 'user_id with NUL',
    call: (t) => request(t.server).get('/v1/programs?user_id=a%00b'),
    status: 400,
    code: 'INVALID_USER_ID',
  },
  {
    name: 'user_id SQL-laden sees nothing of others',
    call: (t) => request(t.server).get('/v1/programs').query({ user_id: "' OR '1'='1" }),
    status: 200,
  },
  {
    name: 'user_id LIKE wildcard sees nothing of others',
    call: (t) => request(t.server).get('/v1/programs').query({ user_id: '%' }),
    status: 200,
  },
  {
    name: 'user_id script-laden',
    call: (t) => request(t.server).get('/v1/programs').query({ user_id: '<script>alert(1)</script>' }),
    status: 200,
  },
  {
    name: 'user_id odd Unicode (RTL override, emoji, combining)',
    call: (t) => request(t.server).get('/v1/programs').query({ user_id: 'u\u202e\u{1F469}\u200d\u{1F4BB}e\u0301' }),
    status: 200,
  },
  // name
  {
    name: 'name missing',
    call: (t) => post(t, { user_id: 'h' }, { files: valid(t).files }),
    status: 400,
    code: 'INVALID_NAME',
  },
  {
    name: 'name 201 chars',
    call: (t) => post(t, { user_id: 'h' }, { ...valid(t), name: 'n'.repeat(201) }),
    status: 400,
    code: 'INVALID_NAME',
  },
  {
    name: 'name with NUL',
    call: (t) => post(t, { user_id: 'h' }, { ...valid(t), name: 'a\u0000b' }),
    status: 400,
    code: 'INVALID_NAME',
  },
  {
    name: 'name an object',
    call: (t) => post(t, { user_id: 'h' }, { ...valid(t), name: { $ne: null } }),
    status: 400,
    code: 'INVALID_NAME',
  },
  {
    name: 'name SQL-laden is just a name',
    call: (t) => post(t, { user_id: 'h' }, { ...valid(t), name: "x'); DROP TABLE programs; --" }),
    status: 202,
  },
  {
    name: 'name odd Unicode is just a name',
    call: (t) => post(t, { user_id: 'h' }, { ...valid(t), name: '보고서 \u202e\u{1F4C4} e\u0301' }),
    status: 202,
  },
  // files
  {
    name: 'traversal path',
    call: (t) => post(t, { user_id: 'h' }, { name: 'x', files: ['s3://bkt/a/../../etc/passwd'] }),
    status: 400,
    code: 'INVALID_S3_PATH',
  },
  {
    name: 'absolute-looking key',
    call: (t) => post(t, { user_id: 'h' }, { name: 'x', files: ['s3://bkt//etc/passwd'] }),
    status: 400,
    code: 'INVALID_S3_PATH',
  },
  {
    name: 'dot-dot bucket',
    call: (t) => post(t, { user_id: 'h' }, { name: 'x', files: ['s3://../key'] }),
    status: 400,
    code: 'INVALID_S3_PATH',
  },
  {
    name: 'file:// path',
    call: (t) => post(t, { user_id: 'h' }, { name: 'x', files: ['file:///etc/passwd'] }),
    status: 400,
    code: 'INVALID_S3_PATH',
  },
  {
    name: 'key with NUL',
    call: (t) => post(t, { user_id: 'h' }, { name: 'x', files: ['s3://bkt/a\u0000.txt'] }),
    status: 400,
    code: 'INVALID_S3_PATH',
  },
  {
    name: 'key over 1,024 bytes',
    call: (t) => post(t, { user_id: 'h' }, { name: 'x', files: [`s3://bkt/${'k'.repeat(1025)}`] }),
    status: 400,
    code: 'INVALID_S3_PATH',
  },
  {
    name: 'files holds null',
    call: (t) => post(t, { user_id: 'h' }, { name: 'x', files: [null] }),
    status: 400,
    code: 'INVALID_S3_PATH',
  },
  {
    name: 'files an object',
    call: (t) => post(t, { user_id: 'h' }, { name: 'x', files: { 0: 's3://bkt/k' } }),
    status: 400,
    code: 'FILES_NOT_A_LIST',
  },
  {
    name: 'files nested 5,000 deep',
    call: (t) => post(t, { user_id: 'h' }, { name: 'x', files: deep(5_000) }),
    status: 400,
  },
  {
    name: 'prototype pollution attempt',
    call: (t) =>
      post(
        t,
        { user_id: 'h' },
        JSON.parse(
          `{"__proto__": {"polluted": true}, "constructor": {"prototype": {"polluted": true}}, "name": 7, "files": []}`,
        ),
      ),
    status: 400,
  },
  {
    name: 'output bucket as a source',
    call: (t) =>
      post(t, { user_id: 'h' }, { name: 'x', files: [`s3://${t.bucket}/programs/prog_x/processed_prog_x_0.json`] }),
    status: 400,
    code: 'SOURCE_BUCKET_NOT_ALLOWED',
  },
  {
    name: 'bucket outside SOURCE_BUCKETS',
    call: (t) =>
      post(t, { user_id: 'h' }, { name: 'x', files: [`s3://${t.sourceBucket}/a.txt`, 's3://other-bucket/a.txt'] }),
    status: 400,
    code: 'SOURCE_BUCKET_NOT_ALLOWED',
  },
  // bodies
  {
    name: 'body over MAX_BODY_BYTES',
    call: (t) => post(t, { user_id: 'h' }, { name: 'x', files: [`s3://bkt/${'k'.repeat(70_000)}`] }),
    status: 413,
    code: 'PAYLOAD_TOO_LARGE',
  },
  {
    name: 'malformed JSON',
    call: (t) =>
      request(t.server).post('/v1/programs?user_id=h').set('content-type', 'application/json').send('{"name":'),
    status: 400,
    code: 'INVALID_JSON',
  },
  {
    name: 'JSON string body',
    call: (t) =>
      request(t.server).post('/v1/programs?user_id=h').set('content-type', 'application/json').send('"just a string"'),
    status: 400,
    code: 'INVALID_JSON',
  },
  {
    name: 'text/plain body',
    call: (t) => request(t.server).post('/v1/programs?user_id=h').set('content-type', 'text/plain').send('name=x'),
    status: 400,
    code: 'INVALID_NAME',
  },
  // query parameters
  {
    name: 'unknown retry_type',
    call: (t, p) => request(t.server).post(`/v1/programs/${p}/retry`).query({ user_id: OWNER, retry_type: 'drop' }),
    status: 400,
    code: 'INVALID_RETRY_TYPE',
  },
  {
    name: 'retry_type twice',
    call: (t, p) =>
      request(t.server).post(`/v1/programs/${p}/retry?user_id=${OWNER}&retry_type=all&retry_type=document`),
    status: 400,
    code: 'INVALID_RETRY_TYPE',
  },
  {
    name: 'limit negative',
    call: (t, p) => request(t.server).get(`/v1/programs/${p}/documents`).query({ user_id: OWNER, limit: -1 }),
    status: 400,
    code: 'INVALID_LIMIT',
  },
  {
    name: 'limit SQL-laden',
    call: (t, p) =>
      request(t.server).get(`/v1/programs/${p}/documents`).query({ user_id: OWNER, limit: '1; DROP TABLE documents' }),
    status: 400,
    code: 'INVALID_LIMIT',
  },
  {
    name: 'forged cursor',
    call: (t, p) =>
      request(t.server)
        .get(`/v1/programs/${p}/failures`)
        .query({ user_id: OWNER, cursor: Buffer.from('{"i":"0 OR 1=1"}').toString('base64url') }),
    status: 400,
    code: 'INVALID_CURSOR',
  },
  {
    name: 'forged list cursor',
    call: (t) =>
      request(t.server)
        .get('/v1/programs')
        .query({ user_id: OWNER, cursor: Buffer.from('{"c":"not a date","i":"x"}').toString('base64url') }),
    status: 400,
    code: 'INVALID_CURSOR',
  },
  {
    name: 'cursor with a huge integer',
    call: (t, p) =>
      request(t.server)
        .get(`/v1/programs/${p}/failures`)
        .query({ user_id: OWNER, cursor: cursor({ i: 1e30 }) }),
    status: 400,
    code: 'INVALID_CURSOR',
  },
  {
    name: 'cursor past the int range',
    call: (t, p) =>
      request(t.server)
        .get(`/v1/programs/${p}/documents`)
        .query({ user_id: OWNER, cursor: cursor({ i: 2 ** 31 }) }),
    status: 400,
    code: 'INVALID_CURSOR',
  },
  {
    name: 'cursor negative',
    call: (t, p) =>
      request(t.server)
        .get(`/v1/programs/${p}/documents`)
        .query({ user_id: OWNER, cursor: cursor({ i: -7 }) }),
    status: 400,
    code: 'INVALID_CURSOR',
  },
  {
    name: 'list cursor with a loose date',
    call: (t) =>
      request(t.server)
        .get('/v1/programs')
        .query({ user_id: OWNER, cursor: cursor({ c: '1', i: 'prog_000000000000000000000000' }) }),
    status: 400,
    code: 'INVALID_CURSOR',
  },
  {
    name: 'list cursor with February 30th',
    call: (t) =>
      request(t.server)
        .get('/v1/programs')
        .query({
          user_id: OWNER,
          cursor: cursor({ c: '2026-02-30T00:00:00.000000Z', i: 'prog_000000000000000000000000' }),
        }),
    status: 400,
    code: 'INVALID_CURSOR',
  },
  {
    name: 'list cursor with a forged id',
    call: (t) =>
      request(t.server)
        .get('/v1/programs')
        .query({ user_id: OWNER, cursor: cursor({ c: '2026-11-30T00:00:00.000000Z', i: "x' OR '1'='1" }) }),
    status: 400,
    code: 'INVALID_CURSOR',
  },
  {
    name: 'limit 1e400',
    call: (t, p) => request(t.server).get(`/v1/programs/${p}/failures`).query({ user_id: OWNER, limit: '1e400' }),
    status: 400,
    code: 'INVALID_LIMIT',
  },
  {
    name: 'limit of 20 digits',
    call: (t) => request(t.server).get('/v1/programs').query({ user_id: OWNER, limit: '99999999999999999999' }),
    status: 400,
    code: 'INVALID_LIMIT',
  },
  {
    name: 'limit zero',
    call: (t) => request(t.server).get('/v1/programs').query({ user_id: OWNER, limit: 0 }),
    status: 400,
    code: 'INVALID_LIMIT',
  },
  {
    name: 'unknown stage',
    call: (t, p) =>
      request(t.server).get(`/v1/programs/${p}/failures`).query({ user_id: OWNER, stage: "preprocessing' --" }),
    status: 400,
    code: 'INVALID_STAGE',
  },
  // program ids
  {
    name: 'unknown program id',
    call: (t) => request(t.server).get('/v1/programs/prog_ffffffffffffffffffffffff').query({ user_id: OWNER }),
    status: 404,
    code: 'PROGRAM_NOT_FOUND',
  },
  {
    name: "another user's program",
    call: (t, p) => request(t.server).get(`/v1/programs/${p}`).query({ user_id: 'intruder' }),
    status: 404,
    code: 'PROGRAM_NOT_FOUND',
  },
  {
    name: "another user's failures",
    call: (t, p) => request(t.server).get(`/v1/programs/${p}/failures`).query({ user_id: 'intruder' }),
    status: 404,
    code: 'PROGRAM_NOT_FOUND',
  },
  {
    name: "another user's documents",
    call: (t, p) => request(t.server).get(`/v1/programs/${p}/documents`).query({ user_id: 'intruder' }),
    status: 404,
    code: 'PROGRAM_NOT_FOUND',
  },
  {
    name: "retry of another user's program",
    call: (t, p) => request(t.server).post(`/v1/programs/${p}/retry`).query({ user_id: 'intruder' }),
    status: 404,
    code: 'PROGRAM_NOT_FOUND',
  },
  {
    name: 'SQL-laden program id',
    call: (t) =>
      request(t.server)
        .get(`/v1/programs/${encodeURIComponent("prog_x' OR '1'='1")}`)
        .query({ user_id: OWNER }),
    status: 404,
    code: 'PROGRAM_NOT_FOUND',
  },
  {
    name: 'program id with NUL',
    call: (t) => request(t.server).get('/v1/programs/prog_%00').query({ user_id: OWNER }),
    status: 404,
    code: 'PROGRAM_NOT_FOUND',
  },
  {
    name: 'program id of 5,000 chars',
    call: (t) =>
      request(t.server)
        .get(`/v1/programs/${'p'.repeat(5_000)}/documents`)
        .query({ user_id: OWNER }),
    status: 404,
    code: 'PROGRAM_NOT_FOUND',
  },
  {
    name: 'bad percent-encoding in the path',
    call: (t) => request(t.server).get('/v1/programs/%E0%A4%A').query({ user_id: OWNER }),
    status: 400,
  },
  // headers
  {
    name: 'Idempotency-Key with control characters',
    call: (t) => post(t, { user_id: 'h' }, valid(t)).set('Idempotency-Key', 'a\tb'),
    status: 400,
    code: 'INVALID_IDEMPOTENCY_KEY',
  },
  {
    name: 'Idempotency-Key of 500 chars',
    call: (t) => post(t, { user_id: 'h' }, valid(t)).set('Idempotency-Key', 'k'.repeat(500)),
    status: 400,
    code: 'INVALID_IDEMPOTENCY_KEY',
  },
  // capacity (MAX_CONCURRENT_RETRIES=1 here)
  {
    name: 'a retry past MAX_CONCURRENT_RETRIES',
    call: secondRetryWhileOneRuns,
    status: 429,
    code: 'RETRY_CAPACITY',
    headers: { 'retry-after': '2' },
  },
  // draining after SIGTERM: these stay last, the app no longer takes work after them
  {
    name: 'readiness while shutting down',
    call: (t) => (draining(t), request(t.server).get('/health/ready')),
    status: 503,
    code: 'SHUTTING_DOWN',
  },
  {
    name: 'a retry while shutting down',
    call: (t, p) => (draining(t), request(t.server).post(`/v1/programs/${p}/retry`).query({ user_id: OWNER })),
    status: 503,
    code: 'SHUTTING_DOWN',
    headers: { 'retry-after': '1' },
  },
];

describe('hostile input', () => {
  let t: TestApp;
  let ownerProgram: string;

  beforeAll(async () => {
    t = await startTestApp(
      { MAX_BODY_BYTES: '65536', SOURCE_BUCKETS: SOURCE_BUCKET, MAX_CONCURRENT_RETRIES: '1' },
      { sourceBucket: SOURCE_BUCKET },
    );
    const files = await putObjects(t.s3, t.sourceBucket, textFiles(3, 'owner'));
    const res = await request(t.server)
      .post('/v1/programs')
      .query({ user_id: OWNER })
      .send({ name: SECRET_NAME, files });
    ownerProgram = res.body.program_id;
    await finishAndCheck(t, ownerProgram, OWNER, files);
    // One Document failure, made by the database refusing it, to retry slowly later.
    const slowFiles = await putObjects(t.s3, t.sourceBucket, textFiles(1, 'slow-doc'));
    await blockDocuments(t.db, `NEW.source_file_path LIKE '%slow-doc%'`);
    const slow = await request(t.server)
      .post('/v1/programs')
      .query({ user_id: OWNER })
      .send({ name: 'slow', files: slowFiles });
    slowProgram = slow.body.program_id;
    await finishAndCheck(t, slowProgram, OWNER, slowFiles);
    await clearDocumentFaults(t.db);
  });

  afterAll(async () => {
    await t?.close();
  });

  it('has at least 25 cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(25);
  });

  it.each(cases.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const res = await c.call(t, ownerProgram);
    const text = res.text ?? '';

    expect({ status: res.status, code: res.body?.code }).toEqual({ status: c.status, code: c.code ?? res.body?.code });
    if (res.status >= 400) {
      expect(res.body).toEqual({
        statusCode: res.status,
        error: expect.any(String),
        message: expect.any(String),
        code: expect.any(String),
      });
    }
    expect(res.headers['content-type'] ?? '').toMatch(/application\/json/);
    for (const [name, value] of Object.entries(c.headers ?? {})) expect(res.headers[name]).toBe(value);
    expect(text).not.toMatch(/\n\s+at .+[:(]\d+/); // no stack frames
    expect(text).not.toMatch(/node_modules|\.ts:\d+|QueryFailedError|DriverException/);
    expect(text).not.toContain(SECRET_NAME);
    expect(text).not.toContain(ownerProgram);
    expect(text).not.toMatch(/127\.0\.0\.1|localhost|SELECT |INSERT |constraint/i);
    if (res.status === 200 && Array.isArray(res.body.items)) expect(res.body.items).toEqual([]);
  });

  it('left the database intact and the owner’s program untouched', async () => {
    const tables = await t.db.query(
      `SELECT count(*)::int AS n FROM information_schema.tables WHERE table_name IN ('programs','documents')`,
    );
    expect(tables.rows[0].n).toBe(2);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    const mine = await request(t.server).get(`/v1/programs/${ownerProgram}`).query({ user_id: OWNER });
    expect(mine.status).toBe(200);
    expect(mine.body.name).toBe(SECRET_NAME);
    const names = await t.db.query(`SELECT name FROM programs WHERE user_id = 'h' ORDER BY created_at`);
    expect(names.rows.map((r) => r.name)).toEqual(["x'); DROP TABLE programs; --", '보고서 \u202e\u{1F4C4} e\u0301']);
  });
});
