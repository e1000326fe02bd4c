import request from 'supertest';
import { blockDocuments, clearDocumentFaults, documentsAtGate, gateDocuments } from '../factories/db-faults';
import { putObjects, textFiles } from '../factories/s3-objects';
import { finishAndCheck, startTestApp, TestApp } from '../support/test-app';
import { eventually } from '../support/wait';

const USER = 'runs-user';
const zero = { retried: 0, success: 0, failed: 0 };

/** Polls until `probe` returns a value, or fails with what it saw last. */
describe('retry runs as resources, selected retries, the inline history window', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ RETRY_HISTORY_INLINE_LIMIT: '2' });
  });

  afterEach(async () => {
    await clearDocumentFaults(t.db);
  });

  afterAll(async () => {
    await t?.close();
  });

  const create = async (files: string[]) => {
    const res = await request(t.server).post('/v1/programs').query({ user_id: USER }).send({ name: 'runs', files });
    expect(res.status).toBe(202);
    return res.body.program_id as string;
  };
  const retry = (programId: string, query: Record<string, string> = {}, body?: unknown, user = USER) => {
    const call = request(t.server)
      .post(`/v1/programs/${programId}/retry`)
      .query({ user_id: user, ...query });
    return body === undefined ? call : call.send(body as object);
  };
  const run = (programId: string, retryId: string, user = USER) =>
    request(t.server).get(`/v1/programs/${programId}/retries/${retryId}`).query({ user_id: user });

  it('wait=false answers 202 while the run cannot have finished; the run goes running → finished with the counts', async () => {
    await blockDocuments(t.db, 'true');
    const files = await putObjects(t.s3, t.sourceBucket, textFiles(1000, 'async'));
    const programId = await create(files);
    const first = await finishAndCheck(t, programId, USER, files);
    expect(first.metadata_json.document_storage.summary).toEqual({ total: 1000, success: 0, failed: 1000 });
    await clearDocumentFaults(t.db);

    // Every Document insert waits at a gate the test holds: the run cannot end before the test
    // opens it, so the 202 is proof that the call did not wait for the files.
    const gate = await gateDocuments(t.db);
    let released = false;
    try {
      const res = await retry(programId, { retry_type: 'document', wait: 'false' });
      expect(res.status).toBe(202);
      expect(res.body).toEqual({
        program_id: programId,
        retry_id: expect.stringMatching(/^[1-9]\d*$/),
        status: 'running',
        skipped: 0,
      });
      const retryId = res.body.retry_id as string;
      await eventually(async () => ((await documentsAtGate(t.db)) > 0 ? true : undefined), 'a Document at the gate');
      const running = await run(programId, retryId);
      expect(running.status).toBe(200);
      expect(running.body).toMatchObject({
        retry_id: retryId,
        program_id: programId,
        retry_type: 'document',
        trigger: 'manual',
        status: 'running',
        finished_at: null,
        skipped: 0,
      });
      // The program is held by the run: a second retry meets it.
      expect((await retry(programId)).status).toBe(409);

      await gate.release();
      released = true;
      const finished = await eventually(async () => {
        const r = await run(programId, retryId);
        return r.body.status === 'finished' ? r.body : undefined;
      }, 'the run to finish');
      expect(finished.results).toEqual({ preprocessing: zero, document: { retried: 1000, success: 1000, failed: 0 } });
      expect(Date.parse(finished.finished_at)).toBeGreaterThanOrEqual(Date.parse(finished.started_at));
      const program = await finishAndCheck(t, programId, USER, files);
      expect(program.status).toBe('completed');
      expect(program.metadata_json.retry_history).toEqual([
        { retry_type: 'document', trigger: 'manual', timestamp: finished.started_at, results: finished.results },
      ]);
    } finally {
      if (!released) await gate.release();
    }
  });

  it('retries only the selected indexes or error codes, counting what it skipped', async () => {
    const specs = textFiles(10, 'selected');
    const missing = [1, 3, 5, 7];
    const junk = 9;
    specs[junk] = {
      key: 'selected/junk.txt',
      body: Buffer.from(Array.from({ length: 2048 }, (_, i) => (i * 97) % 256)),
    };
    await putObjects(
      t.s3,
      t.sourceBucket,
      specs.filter((_, i) => !missing.includes(i)),
    );
    const files = specs.map((s) => `s3://${t.sourceBucket}/${s.key}`);
    const programId = await create(files);
    await finishAndCheck(t, programId, USER, files);
    await putObjects(t.s3, t.sourceBucket, [specs[1], specs[3], specs[5]]);

    // 8 is done and 500 does not exist: skipped. 5's source exists now, but it was not selected.
    const byIndex = await retry(programId, { retry_type: 'preprocessing' }, { indexes: [1, 3, 8, 500] });
    expect(byIndex.status).toBe(200);
    expect(byIndex.body).toMatchObject({
      skipped: 2,
      results: {
        preprocessing: { retried: 2, success: 2, failed: 0 },
        document: { retried: 2, success: 2, failed: 0 },
      },
    });
    let program = await finishAndCheck(t, programId, USER, files);
    const preFailed = (p: typeof program) =>
      (p.metadata_json.preprocessing.failed_files as { index: number; retry_count: number; error_code: string }[]).map(
        (f) => [f.index, f.error_code, f.retry_count],
      );
    expect(preFailed(program)).toEqual([
      [5, 'SOURCE_NOT_FOUND', 0],
      [7, 'SOURCE_NOT_FOUND', 0],
      [junk, 'UNSUPPORTED_TYPE', 0],
    ]);

    const byCode = await retry(programId, {}, { error_codes: ['UNSUPPORTED_TYPE'] });
    expect(byCode.status).toBe(200);
    expect(byCode.body).toMatchObject({
      skipped: 0,
      results: { preprocessing: { retried: 1, success: 0, failed: 1 }, document: zero },
    });
    program = await finishAndCheck(t, programId, USER, files);
    expect(preFailed(program)).toEqual([
      [5, 'SOURCE_NOT_FOUND', 0],
      [7, 'SOURCE_NOT_FOUND', 0],
      [junk, 'UNSUPPORTED_TYPE', 1],
    ]);

    // Nothing selected is still a run and a history entry.
    const none = await retry(programId, {}, { indexes: [0] });
    expect(none.status).toBe(200);
    expect(none.body).toMatchObject({ skipped: 1, results: { preprocessing: zero, document: zero } });
    program = await finishAndCheck(t, programId, USER, files);
    expect(program.metadata_json.retry_history_total).toBe(3);

    const stored = await run(programId, none.body.retry_id as string);
    expect(stored.body).toMatchObject({ status: 'finished', skipped: 1 });
  });

  it('inlines the newest RETRY_HISTORY_INLINE_LIMIT runs and counts them all; lists runs newest first, paged', async () => {
    const specs = textFiles(3, 'window');
    const files = await putObjects(t.s3, t.sourceBucket, specs.slice(0, 2));
    files.push(`s3://${t.sourceBucket}/${specs[2].key}`);
    const programId = await create(files);
    await finishAndCheck(t, programId, USER, files);

    const ids: string[] = [];
    for (const retryType of ['document', 'preprocessing', 'document', 'all']) {
      const res = await retry(programId, { retry_type: retryType });
      expect(res.status).toBe(200);
      ids.push(res.body.retry_id as string);
    }
    const program = await finishAndCheck(t, programId, USER, files);
    expect(program.metadata_json.retry_history_total).toBe(4);
    expect(program.metadata_json.retry_history_truncated).toBe(true);
    expect(program.metadata_json.retry_history.map((e: { retry_type: string }) => e.retry_type)).toEqual([
      'document',
      'all',
    ]);

    const page1 = await request(t.server).get(`/v1/programs/${programId}/retries`).query({ user_id: USER, limit: 3 });
    expect(page1.status).toBe(200);
    expect(page1.body.items.map((r: { retry_id: string }) => r.retry_id)).toEqual([ids[3], ids[2], ids[1]]);
    expect(page1.body.items[0]).toMatchObject({ status: 'finished', trigger: 'manual', retry_type: 'all' });
    const page2 = await request(t.server)
      .get(`/v1/programs/${programId}/retries`)
      .query({ user_id: USER, limit: 3, cursor: page1.body.next_cursor });
    expect(page2.body).toEqual({ items: [expect.objectContaining({ retry_id: ids[0] })], next_cursor: null });
    // The inline window holds exactly the newest runs, as the resources show them.
    expect(program.metadata_json.retry_history.map((e: { timestamp: string }) => e.timestamp)).toEqual(
      [page1.body.items[1], page1.body.items[0]].map((r: { started_at: string }) => r.started_at),
    );
  });

  it('answers 400 to a bad selection, wait or cursor and 404 to another user or an unknown run', async () => {
    const files = await putObjects(t.s3, t.sourceBucket, textFiles(2, 'bad-calls'));
    const programId = await create(files);
    await finishAndCheck(t, programId, USER, files);
    const before = await t.db.query('SELECT count(*)::int AS n FROM retry_runs');

    const bad = [
      await retry(programId, {}, { indexes: [] }),
      await retry(programId, {}, { indexes: [1], error_codes: ['X'] }),
      await retry(programId, {}, { error_codes: ["X' OR 1=1"] }),
      await retry(programId, {}, { everything: true }),
    ];
    for (const res of bad) expect(res.body).toMatchObject({ statusCode: 400, code: 'INVALID_SELECTION' });
    expect((await retry(programId, { wait: 'no' })).body).toMatchObject({ statusCode: 400, code: 'INVALID_WAIT' });
    expect((await retry(programId, { wait: 'false' }, undefined, 'someone-else')).status).toBe(404);
    expect((await t.db.query('SELECT count(*)::int AS n FROM retry_runs')).rows).toEqual(before.rows);

    const list = (query: Record<string, string | number>, user = USER) =>
      request(t.server)
        .get(`/v1/programs/${programId}/retries`)
        .query({ user_id: user, ...query });
    expect((await list({ cursor: 'not-a-cursor' })).body).toMatchObject({ statusCode: 400, code: 'INVALID_CURSOR' });
    const forged = Buffer.from(JSON.stringify({ r: '1; DROP TABLE retry_runs' })).toString('base64url');
    expect((await list({ cursor: forged })).body).toMatchObject({ statusCode: 400, code: 'INVALID_CURSOR' });
    expect((await list({ limit: 0 })).body).toMatchObject({ statusCode: 400, code: 'INVALID_LIMIT' });
    expect((await list({}, 'someone-else')).body).toMatchObject({ statusCode: 404, code: 'PROGRAM_NOT_FOUND' });

    const done = await retry(programId);
    expect(done.status).toBe(200);
    expect((await run(programId, done.body.retry_id as string)).status).toBe(200);
    expect((await run(programId, done.body.retry_id as string, 'someone-else')).body).toMatchObject({
      code: 'PROGRAM_NOT_FOUND',
    });
    for (const id of ['999999', 'abc', '0', '99999999999999999999999'])
      expect((await run(programId, id)).body).toMatchObject({ statusCode: 404, code: 'RETRY_NOT_FOUND' });
    await finishAndCheck(t, programId, USER, files);
  });
});
