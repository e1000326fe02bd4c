import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { Lifecycle } from '../../src/common/lifecycle';
import { blockDocuments, clearDocumentFaults, documentsAtGate, gateDocuments } from '../factories/db-faults';
import { putObjects, textFiles } from '../factories/s3-objects';
import { bearer, mintKey } from '../support/auth';
import { finishAndCheck, startTestApp, TestApp, waitForProgram } from '../support/test-app';
import { failureIndex, IngestClient, readAnswer, type OperationId } from './client';
import { OpenApiValidator, type LiveAnswer, type OpenApiDocument } from './openapi-validator';
import { eventually, until } from '../support/wait';

/**
 * Every route's live answers, success and error alike, checked against the schema /docs-json
 * declares for that route and status: a field missing, undeclared, null where it may not be, a
 * count that is not a whole number, an undeclared status or a missing ETag fails here. The calls
 * go through the typed client where the types allow the request, raw HTTP where the point is a
 * request the types forbid.
 */
const USER = 'contract-user';
const STRANGER = 'contract-stranger';
const MISSING_PROGRAM = 'prog_000000000000000000000000';
// A's sources: two never uploaded (preprocessing failures), two whose Documents are refused.
const A_MISSING = [3, 7];
const A_REFUSED = [0, 5];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

type AnyAnswer = { status: unknown; headers: Headers; body: unknown };
/** A typed answer narrowed to one status; a raw one (any status) stays as it is. */
type Narrowed<A extends AnyAnswer, S> = number extends A['status'] ? A : Extract<A, { status: S }>;

describe('live answers match the OpenAPI document', () => {
  let t: TestApp;
  let v: OpenApiValidator;
  let client: IngestClient;
  let base: string;
  const a = { id: '', files: [] as string[] };
  let c = '';

  /** Checks the answer against the document and narrows it to the expected status. */
  function answered<A extends AnyAnswer, const S extends A['status']>(
    operationId: OperationId,
    answer: A,
    status: S,
  ): Narrowed<A, S> {
    const problems = v.problems(operationId, answer as unknown as LiveAnswer);
    if (answer.status !== status || problems.length > 0) {
      const { method, path } = v.operations.get(operationId) ?? { method: '?', path: operationId };
      throw new Error(
        `${method} ${path} answered ${String(answer.status)} (expected ${String(status)})` +
          `${problems.length ? `, against the document: ${problems.join('; ')}` : ''}\n` +
          JSON.stringify(answer.body)?.slice(0, 2000),
      );
    }
    return answer as Narrowed<A, S>;
  }

  /** A request the client's types would not let through: bad JSON, a huge body, an unknown enum value. */
  async function raw(
    method: string,
    pathAndQuery: string,
    init: { body?: string; headers?: Record<string, string> } = {},
  ) {
    return readAnswer(await fetch(new URL(pathAndQuery, base), { method, ...init }));
  }

  /** Some statement of the app waits for a row (not for the gate's advisory lock). */
  async function waitingForRowLocks(): Promise<boolean> {
    const { rows } = await t.db.query(
      `SELECT count(*)::int AS n FROM pg_stat_activity
       WHERE datname = current_database() AND wait_event_type = 'Lock' AND wait_event <> 'advisory'`,
    );
    return rows[0].n > 0;
  }

  const runEnded = (programId: string, retryId: string) =>
    eventually(async () => {
      const run = answered('getRetryRun', await client.getRetryRun({ programId, retryId }, { user_id: USER }), 200);
      return run.body.status === 'running' ? undefined : run.body;
    }, `retry run ${retryId} to end`);

  beforeAll(async () => {
    t = await startTestApp({ MAX_BODY_BYTES: '65536', MAX_CONCURRENT_RETRIES: '1' });
    await t.app.listen(0, '127.0.0.1');
    base = `http://127.0.0.1:${(t.app.getHttpServer().address() as AddressInfo).port}`;
    client = new IngestClient(base);
    v = new OpenApiValidator((await request(t.server).get('/docs-json')).body as OpenApiDocument);

    const specs = textFiles(10, 'contract-a');
    await putObjects(
      t.s3,
      t.sourceBucket,
      specs.filter((_, i) => !A_MISSING.includes(i)),
    );
    a.files = specs.map((s) => `s3://${t.sourceBucket}/${s.key}`);
    await blockDocuments(t.db, `NEW.source_index IN (${A_REFUSED.join(', ')})`);
    const created = answered(
      'createProgram',
      await client.createProgram({ user_id: USER }, { name: 'contract A', files: a.files }, 'contract-a-key'),
      202,
    );
    a.id = created.body.program_id;
    const single = answered(
      'createProgram',
      await client.createProgram(
        { user_id: USER },
        {
          name: 'contract C',
          files: [`s3://${t.sourceBucket}/contract-c/missing.txt`],
          failure_budget: { max_failed_ratio: 0.5, min_files: 10 },
        },
      ),
      202,
    );
    c = single.body.program_id;
    await finishAndCheck(t, a.id, USER, a.files);
    await finishAndCheck(t, c, USER);
    await clearDocumentFaults(t.db);
  });

  afterAll(async () => {
    await clearDocumentFaults(t.db).catch(() => undefined);
    await t?.close();
  });

  it('reads a program with failures of both stages: program, 304, lists, counts, stories, Documents', async () => {
    const program = answered('getProgram', await client.getProgram({ programId: a.id }, { user_id: USER }), 200);
    expect(program.body.status).toBe('completed_with_failures');
    expect(program.body.metadata_json.preprocessing.failed_files.map((f) => f.index)).toEqual(A_MISSING);
    expect(program.body.metadata_json.document_storage.failed_files.map((f) => f.source_index)).toEqual(A_REFUSED);
    const etag = program.headers.get('etag') ?? '';
    answered('getProgram', await client.getProgram({ programId: a.id }, { user_id: USER }, etag), 304);

    const list = answered('listPrograms', await client.listPrograms({ user_id: USER, limit: 1 }), 200);
    expect(list.body.items).toHaveLength(1);
    expect(list.body.next_cursor).toEqual(expect.any(String));
    answered('listPrograms', await client.listPrograms({ user_id: USER, status: 'completed_with_failures' }), 200);

    const failures = answered('listFailures', await client.listFailures({ programId: a.id }, { user_id: USER }), 200);
    expect(failures.body.items.map(failureIndex)).toEqual([...A_MISSING, ...A_REFUSED].sort((x, y) => x - y));
    expect(new Set(failures.body.items.map((f) => f.stage))).toEqual(new Set(['preprocessing', 'document']));
    expect(failures.body.next_cursor).toBeNull();
    const paged = answered(
      'listFailures',
      await client.listFailures({ programId: a.id }, { user_id: USER, stage: 'document', limit: 1 }),
      200,
    );
    expect(paged.body.next_cursor).toEqual(expect.any(String));
    answered(
      'listFailures',
      await client.listFailures({ programId: a.id }, { user_id: USER, error_code: 'SOURCE_NOT_FOUND' }),
      200,
    );
    answered('countFailures', await client.countFailures({ programId: a.id }, { user_id: USER }), 200);

    for (const index of ['1', String(A_MISSING[0]), String(A_REFUSED[0])]) {
      answered('getFileStory', await client.getFileStory({ programId: a.id, index }, { user_id: USER }), 200);
    }
    const docs = answered('listDocuments', await client.listDocuments({ programId: a.id }, { user_id: USER }), 200);
    expect(docs.body.items).toHaveLength(10 - A_MISSING.length - A_REFUSED.length);
    answered('listRetryRuns', await client.listRetryRuns({ programId: a.id }, { user_id: USER }), 200);
  });

  it('is refused by the validator when it strays from the document', async () => {
    const answer = await client.getProgram({ programId: a.id }, { user_id: USER });
    const strayed = (change: (body: any) => void) => {
      const body = structuredClone(answer.body);
      change(body);
      return v.problems('getProgram', { ...answer, body });
    };
    expect(v.problems('getProgram', answer)).toEqual([]);
    expect(strayed((b) => (b.metadata_json.preprocessing.summary.failed = 1.5))).toEqual([
      '/metadata_json/preprocessing/summary/failed must be integer',
    ]);
    expect(strayed((b) => (b.metadata_json.document_storage.failed_files[0].undeclared = true))).toEqual([
      '/metadata_json/document_storage/failed_files/0 must NOT have additional properties',
    ]);
    expect(strayed((b) => delete b.metadata_json.retry_history_total)).toEqual([
      "/metadata_json must have required property 'retry_history_total'",
    ]);
    expect(strayed((b) => (b.metadata_json.preprocessing.failed_files[0].exhausted = null))).toEqual([
      '/metadata_json/preprocessing/failed_files/0/exhausted must be boolean',
    ]);
    expect(v.problems('getProgram', { ...answer, status: 418 })).toEqual(['status 418 is not declared']);
    const noEtag = new Headers(answer.headers);
    noEtag.delete('etag');
    expect(v.problems('getProgram', { ...answer, headers: noEtag })).toEqual(['header ETag is missing']);
  });

  it('exports failures as CSV and as JSONL lines that are failure list items', async () => {
    answered('exportFailures', await client.exportFailures({ programId: a.id }, { user_id: USER }), 200);
    const jsonl = answered(
      'exportFailures',
      await client.exportFailures({ programId: a.id }, { user_id: USER, format: 'jsonl' }),
      200,
    );
    const lines = jsonl.body.trim().split('\n');
    expect(lines).toHaveLength(4);
    const item = v.doc.components.schemas.FailurePageDto.properties.items.items;
    for (const line of lines) expect(v.problemsOf(item, JSON.parse(line), 'failure item')).toEqual([]);
  });

  it('runs retries: wait=false while one is held, 409 and 429 meanwhile, then a selected one', async () => {
    // Document inserts wait at a gate: the run cannot end before the test has asked everything.
    const gate = await gateDocuments(t.db);
    let runId: string;
    try {
      const accepted = answered(
        'retryProgram',
        await client.retryProgram({ programId: a.id }, { user_id: USER, retry_type: 'document', wait: 'false' }),
        202,
      );
      runId = accepted.body.retry_id;
      const running = answered(
        'getRetryRun',
        await client.getRetryRun({ programId: a.id, retryId: runId }, { user_id: USER }),
        200,
      );
      expect(running.body.status).toBe('running');
      expect(running.body.finished_at).toBeNull();
      const busy = answered('retryProgram', await client.retryProgram({ programId: a.id }, { user_id: USER }), 409);
      expect(busy.body.code).toBe('PROGRAM_BUSY');
      // MAX_CONCURRENT_RETRIES is 1 and A's run holds it.
      const full = answered('retryProgram', await client.retryProgram({ programId: c }, { user_id: USER }), 429);
      expect(full.body.code).toBe('RETRY_CAPACITY');
      expect(full.headers.get('retry-after')).toMatch(/^\d+$/);
    } finally {
      await gate.release();
    }
    expect(await runEnded(a.id, runId)).toEqual(expect.objectContaining({ status: 'finished' }));
    await clearDocumentFaults(t.db);

    await putObjects(
      t.s3,
      t.sourceBucket,
      textFiles(10, 'contract-a').filter((_, i) => i === A_MISSING[0]),
    );
    const done = answered(
      'retryProgram',
      await client.retryProgram(
        { programId: a.id },
        { user_id: USER, retry_type: 'preprocessing' },
        { indexes: [A_MISSING[0], 99_999] },
      ),
      200,
    );
    expect(done.body.skipped).toBe(1);
    expect(done.body.results.preprocessing).toEqual({ retried: 1, success: 1, failed: 0 });

    const runs = answered(
      'listRetryRuns',
      await client.listRetryRuns({ programId: a.id }, { user_id: USER, limit: 1 }),
      200,
    );
    expect(runs.body.next_cursor).toEqual(expect.any(String));
    answered(
      'getRetryRun',
      await client.getRetryRun({ programId: a.id, retryId: done.body.retry_id }, { user_id: USER }),
      200,
    );
    const after = answered('getProgram', await client.getProgram({ programId: a.id }, { user_id: USER }), 200);
    expect(after.body.metadata_json.retry_history).toHaveLength(2);
    expect(after.body.metadata_json.retry_history_total).toBe(2);
  });

  it('cancels a running program (a retry meanwhile is 409), then refuses a second cancel', async () => {
    const gate = await gateDocuments(t.db);
    let released = false;
    let b: string;
    try {
      const files = await putObjects(t.s3, t.sourceBucket, textFiles(6, 'contract-b'));
      b = answered('createProgram', await client.createProgram({ user_id: USER }, { name: 'B', files }), 202).body
        .program_id;
      await until(async () => (await documentsAtGate(t.db)) > 0, 'a Document insert held at the gate');
      answered('retryProgram', await client.retryProgram({ programId: b }, { user_id: USER }), 409);
      // The cancel fences the files in flight, whose inserts wait at the gate holding their rows:
      // it answers once the gate opens, so open it when the cancel waits for those rows.
      const cancelling = client.cancelProgram({ programId: b }, { user_id: USER });
      const deadline = Date.now() + 30_000;
      while (!(await waitingForRowLocks()) && Date.now() < deadline) await sleep(20);
      await gate.release();
      released = true;
      const cancelled = answered('cancelProgram', await cancelling, 202);
      expect(cancelled.body.program_id).toBe(b);
    } finally {
      if (!released) await gate.release();
    }
    expect((await waitForProgram(t, b, USER)).status).toBe('cancelled');
    await clearDocumentFaults(t.db);
    const again = answered('cancelProgram', await client.cancelProgram({ programId: b }, { user_id: USER }), 409);
    expect(again.body.code).toBe('PROGRAM_NOT_RUNNING');
    answered('getProgram', await client.getProgram({ programId: b }, { user_id: USER }), 200);
  });

  it('refuses bad creates: 400, 409, 413 and 415, each in the one error shape', async () => {
    const user = encodeURIComponent(USER);
    answered('createProgram', await client.createProgram({ user_id: USER }, { name: 'none', files: [] }), 400);
    answered('createProgram', await client.createProgram({ user_id: '' }, { name: 'x', files: a.files }), 400);
    const json = { 'content-type': 'application/json' };
    const broken = await raw('POST', `/v1/programs?user_id=${user}`, { body: '{"name": ', headers: json });
    expect(answered('createProgram', broken, 400).body).toEqual(expect.objectContaining({ code: 'INVALID_JSON' }));
    const huge = JSON.stringify({ name: 'big', files: a.files, padding: 'x'.repeat(70_000) });
    const tooLarge = answered(
      'createProgram',
      await raw('POST', `/v1/programs?user_id=${user}`, { body: huge, headers: json }),
      413,
    );
    expect(tooLarge.body).toEqual(expect.objectContaining({ code: 'PAYLOAD_TOO_LARGE' }));
    const latin = await raw('POST', `/v1/programs?user_id=${user}`, {
      body: JSON.stringify({ name: 'x', files: a.files }),
      headers: { 'content-type': 'application/json; charset=latin1' },
    });
    answered('createProgram', latin, 415);
    const conflict = answered(
      'createProgram',
      await client.createProgram({ user_id: USER }, { name: 'other body', files: a.files }, 'contract-a-key'),
      409,
    );
    expect(conflict.body.code).toBe('IDEMPOTENCY_CONFLICT');
  });

  it("answers every read route's 400 and 404 in the one error shape", async () => {
    const q = { user_id: USER };
    const missing = { programId: MISSING_PROGRAM };
    answered('listPrograms', await raw('GET', `/v1/programs?user_id=${USER}&status=everything`), 400);
    answered('listPrograms', await client.listPrograms({ user_id: USER, limit: 0 }), 400);
    answered('getProgram', await client.getProgram({ programId: a.id }, { user_id: STRANGER }), 404);
    answered('getProgram', await client.getProgram(missing, { user_id: '' }), 400);
    answered('listFailures', await client.listFailures(missing, q), 404);
    answered(
      'listFailures',
      await client.listFailures({ programId: a.id }, { user_id: USER, error_code: 'lower' }),
      400,
    );
    answered('countFailures', await client.countFailures(missing, q), 404);
    answered('countFailures', await client.countFailures(missing, { user_id: '' }), 400);
    answered('exportFailures', await client.exportFailures(missing, q), 404);
    answered(
      'exportFailures',
      await raw('GET', `/v1/programs/${a.id}/failures/export?user_id=${USER}&format=xml`),
      400,
    );
    answered('getFileStory', await client.getFileStory({ programId: a.id, index: 'x' }, q), 400);
    const noFile = answered('getFileStory', await client.getFileStory({ programId: a.id, index: '999' }, q), 404);
    expect(noFile.body.code).toBe('FILE_NOT_FOUND');
    answered('listDocuments', await client.listDocuments(missing, q), 404);
    answered('listDocuments', await client.listDocuments({ programId: a.id }, { user_id: USER, limit: 5000 }), 400);
    answered('listRetryRuns', await client.listRetryRuns(missing, q), 404);
    answered(
      'listRetryRuns',
      await client.listRetryRuns({ programId: a.id }, { user_id: USER, cursor: 'nonsense' }),
      400,
    );
    const noRun = answered('getRetryRun', await client.getRetryRun({ programId: a.id, retryId: '999999' }, q), 404);
    expect(noRun.body.code).toBe('RETRY_NOT_FOUND');
    answered('getRetryRun', await client.getRetryRun({ programId: a.id, retryId: '1' }, { user_id: '' }), 400);
    answered('cancelProgram', await client.cancelProgram(missing, q), 404);
    answered('cancelProgram', await client.cancelProgram({ programId: a.id }, { user_id: '' }), 400);
  });

  it('refuses bad retries: 400, 404, 413 and 415', async () => {
    const path = `/v1/programs/${a.id}/retry?user_id=${USER}`;
    const json = { 'content-type': 'application/json' };
    answered('retryProgram', await raw('POST', `${path}&retry_type=everything`), 400);
    const selection = answered(
      'retryProgram',
      await client.retryProgram({ programId: a.id }, { user_id: USER }, { indexes: [] }),
      400,
    );
    expect(selection.body.code).toBe('INVALID_SELECTION');
    answered('retryProgram', await client.retryProgram({ programId: MISSING_PROGRAM }, { user_id: USER }), 404);
    const huge = JSON.stringify({ indexes: Array.from({ length: 20_000 }, (_, i) => i) });
    answered('retryProgram', await raw('POST', path, { body: huge, headers: json }), 413);
    answered(
      'retryProgram',
      await raw('POST', path, { body: '{}', headers: { 'content-type': 'application/json; charset=latin1' } }),
      415,
    );
  });

  it('answers 401 and 403 on every /v1 route, and manages keys, on a replica with AUTH_MODE=api-key', async () => {
    // A second replica of the same service (database, buckets), identifying callers by API key.
    const metricsToken = 'contract-metrics-token-0123';
    const k = await startTestApp(
      { AUTH_MODE: 'api-key', METRICS_TOKEN: metricsToken, S3_BUCKET: t.bucket },
      { database: t.databaseUrl, sourceBucket: t.sourceBucket },
    );
    try {
      await k.app.listen(0, '127.0.0.1');
      const kBase = `http://127.0.0.1:${(k.app.getHttpServer().address() as AddressInfo).port}`;
      const kRaw = async (method: string, pathAndQuery: string, headers: Record<string, string> = {}) =>
        readAnswer(await fetch(new URL(pathAndQuery, kBase), { method, headers }));
      const admin = new IngestClient(kBase, (await mintKey(t.db, 'contract-admin', true)).key);
      const ownerKey = (await mintKey(t.db, USER, false)).key;
      const owner = new IngestClient(kBase, ownerKey);

      const me = answered('getMe', await owner.getMe({}), 200);
      expect(me.body).toEqual({ user_id: USER, admin: false, auth_mode: 'api-key' });
      answered('getMe', await client.getMe({}), 200);
      answered('getMe', await client.getMe({ user_id: '' }), 400);
      const created = answered('createApiKey', await admin.createApiKey({}, { user_id: STRANGER }), 201);
      answered('createApiKey', await admin.createApiKey({}, { user_id: '' }), 400);
      const listed = answered('listApiKeys', await admin.listApiKeys({ limit: 2 }), 200);
      expect(listed.body.next_cursor).toEqual(expect.any(String));
      answered('listApiKeys', await admin.listApiKeys({ limit: 0 }), 400);
      answered('revokeApiKey', await admin.revokeApiKey({ keyId: created.body.key_id }, {}), 204);
      answered('revokeApiKey', await admin.revokeApiKey({ keyId: 'fedcba9876543210' }, {}), 404);
      answered('revokeApiKey', await admin.revokeApiKey({ keyId: created.body.key_id }, { user_id: '' }), 400);
      const all = answered('listPrograms', await admin.listPrograms({ all_users: 'true' }), 200);
      expect(all.body.items.map((p) => p.program_id)).toEqual(expect.arrayContaining([a.id, c]));
      const notAdmin = answered('listPrograms', await owner.listPrograms({ all_users: 'true' }), 403);
      expect(notAdmin.body.code).toBe('ADMIN_REQUIRED');
      for (const refused of [
        answered('createApiKey', await owner.createApiKey({}, { user_id: USER, admin: true }), 403),
        answered('listApiKeys', await owner.listApiKeys({}), 403),
        answered('revokeApiKey', await owner.revokeApiKey({ keyId: created.body.key_id }, {}), 403),
      ])
        expect(refused.body.code).toBe('ADMIN_REQUIRED');

      // Every /v1 operation: no key is 401, the owner's key naming another user is 403.
      const params: Record<string, string> = { programId: a.id, index: '0', retryId: '1', keyId: created.body.key_id };
      for (const [operationId, { method, path }] of v.operations) {
        if (!path.startsWith('/v1/')) continue;
        const url = path.replace(/\{(\w+)\}/g, (_, name: string) => params[name]);
        const anonymous = answered(operationId as OperationId, await kRaw(method.toUpperCase(), url), 401);
        expect([operationId, (anonymous.body as { code?: string }).code]).toEqual([operationId, 'UNAUTHENTICATED']);
        const other = `${url}?user_id=${encodeURIComponent(STRANGER)}`;
        const mismatch = answered(
          operationId as OperationId,
          await kRaw(method.toUpperCase(), other, bearer(ownerKey)),
          403,
        );
        expect([operationId, (mismatch.body as { code?: string }).code]).toEqual([operationId, 'USER_MISMATCH']);
      }
      answered('metrics', await kRaw('GET', '/metrics'), 401);
      answered('metrics', await kRaw('GET', '/metrics', bearer(metricsToken)), 200);
    } finally {
      await k.close();
    }
  });

  it('answers health and metrics, and 503 with Retry-After once shutting down', async () => {
    answered('live', await client.live(), 200);
    answered('ready', await client.ready(), 200);
    answered('metrics', await client.metrics(), 200);
    t.app.get(Lifecycle).beginShutdown();
    const ready = answered('ready', await client.ready(), 503);
    expect(ready.body.code).toBe('SHUTTING_DOWN');
    const retry = answered('retryProgram', await client.retryProgram({ programId: a.id }, { user_id: USER }), 503);
    expect(retry.body.code).toBe('SHUTTING_DOWN');
    expect(retry.headers.get('retry-after')).toMatch(/^\d+$/);
  });

  it('met every route with every status it declares, but the 500 nobody can provoke from outside', () => {
    const unmet: string[] = [];
    for (const [operationId, { method, path, op }] of v.operations) {
      const seen = v.seen.get(operationId) ?? new Set<number>();
      for (const status of Object.keys(op.responses as object).map(Number)) {
        if (status !== 500 && !seen.has(status)) unmet.push(`${method} ${path} ${status}`);
      }
    }
    expect(unmet).toEqual([]);
  });
});
