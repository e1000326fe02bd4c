import request from 'supertest';
import { blockDocuments, clearDocumentFaults, documentsAtGate, gateDocuments } from '../factories/db-faults';
import { putObjects, textFiles } from '../factories/s3-objects';
import { finishAndCheck, startTestApp, TestApp } from '../support/test-app';
import { until } from '../support/wait';

const USER = 'story-user';
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
// A gate key of this suite's own: pg_locks is server-wide, and other suites gate with theirs.
const GATE_KEY = 73_311;

describe('one file’s story: GET /v1/programs/{id}/files/{index}', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp();
  });

  afterEach(async () => {
    await clearDocumentFaults(t.db);
  });

  afterAll(async () => {
    await t?.close();
  });

  const create = async (files: string[]) => {
    const res = await request(t.server).post('/v1/programs').query({ user_id: USER }).send({ name: 'story', files });
    expect(res.status).toBe(202);
    return res.body.program_id as string;
  };
  const story = (programId: string, index: number | string, user = USER) =>
    request(t.server).get(`/v1/programs/${programId}/files/${index}`).query({ user_id: user });
  const retry = (programId: string, retryType: string) =>
    request(t.server).post(`/v1/programs/${programId}/retry`).query({ user_id: USER, retry_type: retryType });

  it('a file that fails twice and then succeeds shows three attempts, both earlier diagnoses intact', async () => {
    const specs = textFiles(3, 'story');
    const present = await putObjects(t.s3, t.sourceBucket, specs.slice(0, 2));
    const files = [...present, `s3://${t.sourceBucket}/${specs[2].key}`];
    const programId = await create(files);
    await finishAndCheck(t, programId, USER, files);

    // First run: the source is missing.
    const first = await story(programId, 2);
    expect(first.status).toBe(200);
    expect(first.body).toEqual({
      program_id: programId,
      index: 2,
      file_path: files[2],
      state: 'preprocessing_failed',
      stage: 'preprocessing',
      error: expect.stringContaining(specs[2].key),
      error_code: 'SOURCE_NOT_FOUND',
      retryable: true,
      retry_count: 0,
      next_retry_at: expect.stringMatching(ISO),
      exhausted: false,
      timestamp: expect.stringMatching(ISO),
      s3_path: null,
      document_id: null,
      attempts: [
        {
          attempt: 1,
          trigger: 'initial',
          stage: 'preprocessing',
          outcome: 'failed',
          error_code: 'SOURCE_NOT_FOUND',
          error: first.body.error,
          started_at: expect.stringMatching(ISO),
          finished_at: expect.stringMatching(ISO),
        },
      ],
    });
    // The failure fields are those of the file's failure record.
    const failures = await request(t.server).get(`/v1/programs/${programId}/failures`).query({ user_id: USER });
    const { file_path, index, error, retry_count, timestamp, error_code, retryable, next_retry_at, exhausted } =
      first.body;
    expect(failures.body.items).toEqual([
      {
        stage: 'preprocessing',
        file_path,
        index,
        error,
        retry_count,
        timestamp,
        error_code,
        retryable,
        next_retry_at,
        exhausted,
      },
    ]);

    // A manual retry while the source is still missing: a second failure.
    const again = await retry(programId, 'preprocessing');
    expect(again.status).toBe(200);
    expect(again.body.results.preprocessing).toEqual({ retried: 1, success: 0, failed: 1 });
    await finishAndCheck(t, programId, USER, files);
    const second = await story(programId, 2);
    expect(second.body).toMatchObject({
      state: 'preprocessing_failed',
      error_code: 'SOURCE_NOT_FOUND',
      retry_count: 1,
    });
    expect(second.body.attempts).toHaveLength(2);
    expect(second.body.attempts[0]).toEqual(first.body.attempts[0]);
    expect(second.body.attempts[1]).toMatchObject({
      attempt: 2,
      trigger: 'manual',
      stage: 'preprocessing',
      outcome: 'failed',
      error_code: 'SOURCE_NOT_FOUND',
    });

    // The source arrives; the next manual retry stores its Document.
    await putObjects(t.s3, t.sourceBucket, [specs[2]]);
    const last = await retry(programId, 'preprocessing');
    expect(last.status).toBe(200);
    expect(last.body.results).toEqual({
      preprocessing: { retried: 1, success: 1, failed: 0 },
      document: { retried: 1, success: 1, failed: 0 },
    });
    const program = await finishAndCheck(t, programId, USER, files);
    expect(program.status).toBe('completed');

    const done = await story(programId, 2);
    expect(done.status).toBe(200);
    const docs = await request(t.server).get(`/v1/programs/${programId}/documents`).query({ user_id: USER });
    const doc = docs.body.items.find((d: { source_index: number }) => d.source_index === 2);
    expect(done.body).toEqual({
      program_id: programId,
      index: 2,
      file_path: files[2],
      state: 'done',
      stage: null,
      error: null,
      error_code: null,
      retryable: null,
      retry_count: 2,
      next_retry_at: null,
      exhausted: null,
      timestamp: null,
      s3_path: doc.s3_path,
      document_id: doc.document_id,
      attempts: [
        first.body.attempts[0],
        second.body.attempts[1],
        {
          attempt: 3,
          trigger: 'manual',
          stage: 'document',
          outcome: 'succeeded',
          error_code: null,
          error: null,
          started_at: expect.stringMatching(ISO),
          finished_at: expect.stringMatching(ISO),
        },
      ],
    });
    // Oldest first, each pass within its own times.
    const attempts = done.body.attempts as { started_at: string; finished_at: string }[];
    for (const [i, a] of attempts.entries()) {
      expect(a.started_at <= a.finished_at).toBe(true);
      if (i > 0) expect(attempts[i - 1].finished_at <= a.started_at).toBe(true);
    }

    // A file done in its first run has one attempt.
    const plain = await story(programId, 0);
    expect(plain.body).toMatchObject({ state: 'done', retry_count: 0, document_id: expect.stringMatching(/^doc_/) });
    expect(plain.body.attempts).toEqual([
      expect.objectContaining({ attempt: 1, trigger: 'initial', stage: 'document', outcome: 'succeeded' }),
    ]);
  });

  it('tells a Document failure by its stage and processed JSON, and keeps it once a retry stores the Document', async () => {
    await blockDocuments(t.db, `NEW.source_file_path LIKE '%/story-doc/file-00001.%'`);
    const files = await putObjects(t.s3, t.sourceBucket, textFiles(2, 'story-doc'));
    const programId = await create(files);
    await finishAndCheck(t, programId, USER, files);

    const failed = await story(programId, 1);
    expect(failed.body).toMatchObject({
      state: 'document_failed',
      stage: 'document',
      error_code: 'DOCUMENT_STORE_FAILED',
      error: expect.stringContaining('document refused by test trigger'),
      retryable: true,
      exhausted: false,
      s3_path: `s3://${t.bucket}/programs/${programId}/processed_${programId}_1.json`,
      document_id: null,
    });
    expect(failed.body.attempts).toEqual([
      expect.objectContaining({
        attempt: 1,
        trigger: 'initial',
        stage: 'document',
        outcome: 'failed',
        error_code: 'DOCUMENT_STORE_FAILED',
      }),
    ]);

    await clearDocumentFaults(t.db);
    expect((await retry(programId, 'document')).body.results.document).toEqual({ retried: 1, success: 1, failed: 0 });
    await finishAndCheck(t, programId, USER, files);
    const done = await story(programId, 1);
    expect(done.body).toMatchObject({ state: 'done', stage: null, document_id: expect.stringMatching(/^doc_/) });
    expect(done.body.attempts).toEqual([
      failed.body.attempts[0],
      expect.objectContaining({ attempt: 2, trigger: 'manual', stage: 'document', outcome: 'succeeded' }),
    ]);
  });

  it('shows a file in hand as processing, with no attempt recorded yet', async () => {
    const gate = await gateDocuments(t.db, GATE_KEY);
    let released = false;
    try {
      const files = await putObjects(t.s3, t.sourceBucket, textFiles(1, 'story-held'));
      const programId = await create(files);
      await until(async () => (await documentsAtGate(t.db, GATE_KEY)) > 0, 'a Document insert held at the gate');
      const held = await story(programId, 0);
      expect(held.body).toMatchObject({
        state: 'processing',
        stage: null,
        error: null,
        document_id: null,
        attempts: [],
      });
      await gate.release();
      released = true;
      await finishAndCheck(t, programId, USER, files);
      expect((await story(programId, 0)).body).toMatchObject({ state: 'done', attempts: [expect.anything()] });
    } finally {
      if (!released) await gate.release();
    }
  });

  describe('refusals', () => {
    let programId: string;

    beforeAll(async () => {
      const files = await putObjects(t.s3, t.sourceBucket, textFiles(3, 'story-refusals'));
      programId = await create(files);
      await finishAndCheck(t, programId, USER, files);
    });

    it.each([
      ['another user’s program', () => story(programId, 0, 'someone-else')],
      ['an unknown program', () => story('prog_000000000000000000000000', 0)],
      ['a malformed program id', () => story('not-a-program', 0)],
    ])('answers 404 PROGRAM_NOT_FOUND for %s', async (_name, call) => {
      const res = await call();
      expect(res.status).toBe(404);
      expect(res.body).toEqual({
        statusCode: 404,
        error: 'Not Found',
        message: expect.any(String),
        code: 'PROGRAM_NOT_FOUND',
      });
    });

    it.each(['3', '4', '2147483648', '99999999999999999999999'])(
      'answers 404 FILE_NOT_FOUND for index %s',
      async (index) => {
        const res = await story(programId, index);
        expect(res.status).toBe(404);
        expect(res.body.code).toBe('FILE_NOT_FOUND');
      },
    );

    it.each(['-1', 'abc', '1.5', '1e2', '0x1', '%201', '+1'])(
      'answers 400 INVALID_INDEX for index %s',
      async (index) => {
        const res = await story(programId, index);
        expect(res.status).toBe(400);
        expect(res.body.code).toBe('INVALID_INDEX');
        expect(JSON.stringify(res.body)).not.toMatch(/at \w+ \(/);
      },
    );

    it('answers 400 INVALID_USER_ID without a user', async () => {
      const res = await request(t.server).get(`/v1/programs/${programId}/files/0`);
      expect(res.status).toBe(400);
      expect(res.body.code).toBe('INVALID_USER_ID');
    });

    it('is documented in the OpenAPI document', async () => {
      const res = await request(t.server).get('/docs-json');
      const op = res.body.paths['/v1/programs/{programId}/files/{index}'].get;
      expect(Object.keys(op.responses)).toEqual(expect.arrayContaining(['200', '400', '404']));
    });
  });
});
