import { GetObjectCommand } from '@aws-sdk/client-s3';
import request from 'supertest';
import { putObjects, textFiles } from '../factories/s3-objects';
import { finishAndCheck, startTestApp, TestApp } from '../support/test-app';

const USER = 'user-pipeline';

async function readJson(t: TestApp, s3Path: string): Promise<Record<string, any>> {
  const m = /^s3:\/\/([^/]+)\/(.+)$/.exec(s3Path)!;
  const res = await t.s3.send(new GetObjectCommand({ Bucket: m[1], Key: m[2] }));
  return JSON.parse(await res.Body!.transformToString('utf8'));
}

async function createProgram(t: TestApp, files: string[], name = 'batch') {
  const res = await request(t.server).post('/v1/programs').query({ user_id: USER }).send({ name, files });
  expect(res.status).toBe(202);
  return res.body as { program_id: string; status: string; total_files: number };
}

describe('pipeline: S3 → processed JSON → Documents', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp();
  });

  afterAll(async () => {
    await t?.close();
  });

  it('turns 300 valid files into 300 Documents, each with its processed JSON', async () => {
    const files = await putObjects(t.s3, t.sourceBucket, textFiles(300, 'valid'));
    const created = await createProgram(t, files);
    expect(created).toMatchObject({ status: 'pending', total_files: 300 });
    expect(created.program_id).toMatch(/^prog_[0-9a-f]{24}$/);

    const program = await finishAndCheck(t, created.program_id, USER, files);

    expect(program.status).toBe('completed');
    expect(program.metadata_json).toMatchObject({
      preprocessing: { summary: { total: 300, success: 300, failed: 0 }, failed_files: [] },
      document_storage: { summary: { total: 300, success: 300, failed: 0 }, failed_files: [] },
      total_expected: 300,
      total_successful_documents: 300,
      has_partial_failure: false,
      retry_history: [],
    });
    const { rows } = await t.db.query('SELECT count(*)::int AS n FROM documents WHERE program_id = $1', [
      created.program_id,
    ]);
    expect(rows[0].n).toBe(300);

    // The processed JSON of SPEC §5, at its key, for a file of each kind.
    const docs = await request(t.server)
      .get(`/v1/programs/${created.program_id}/documents`)
      .query({ user_id: USER, limit: 3 });
    expect(docs.status).toBe(200);
    expect(docs.body.items).toHaveLength(3);
    expect(docs.body.next_cursor).toEqual(expect.any(String));
    for (const doc of docs.body.items) {
      const key = `programs/${created.program_id}/processed_${created.program_id}_${doc.source_index}.json`;
      expect(doc.s3_path).toBe(`s3://${t.bucket}/${key}`);
      const json = await readJson(t, doc.s3_path);
      expect(Object.keys(json).sort()).toEqual(
        [
          'schema_version',
          'program_id',
          'source_index',
          'source_file_path',
          'content_type',
          'title',
          'text',
          'chunks',
          'stats',
          'sha256',
          'processed_at',
          'extractor_version',
        ].sort(),
      );
      expect(json).toMatchObject({
        schema_version: 1,
        program_id: created.program_id,
        source_index: doc.source_index,
        source_file_path: files[doc.source_index],
        content_type: doc.content_type,
        title: doc.title,
        sha256: doc.sha256,
      });
      expect(json.processed_at).toMatch(/Z$/);
      expect(json.text.length).toBeGreaterThan(0);
      expect(json.stats.characters).toBe(Array.from(json.text as string).length);
      expect(json.stats.characters).toBe(doc.characters);
      expect(json.chunks).toHaveLength(doc.chunk_count);
      expect(json.chunks[0]).toMatchObject({ index: 0, char_start: 0, page_start: null, page_end: null });
      expect(json.extractor_version).toMatch(/^\d+\.\d+\.\d+$/);
      expect(json.stats.encoding).toBe('utf-8');
      for (const c of json.chunks) {
        expect([...(json.text as string)].slice(c.char_start, c.char_end).join('')).toBe(c.text);
        expect(Array.isArray(c.heading_path)).toBe(true);
      }
    }
    expect(docs.body.items.map((d: { content_type: string }) => d.content_type)).toEqual([
      'text/plain',
      'text/markdown',
      'application/json',
    ]);
  });

  it('stores titles, paths and errors that need quoting in a SQL array literal exactly as they are', async () => {
    // The hot-path writes hand values over as one array per column: braces, commas, quotes,
    // backslashes, the word NULL and non-ASCII must arrive unchanged, and a real null stays null.
    const awkward = ['NULL', 'a,b', '{x}', 'say "hi"', 'back\\slash', '한국어 제목', ' lead and trail '];
    const specs = awkward.map((title, i) => ({
      key: `awkward/${i}-${title.replace(/[^a-z0-9]/gi, '_')}.md`,
      body: `# ${title}\n\nBody ${i}.\n`,
      contentType: 'text/markdown',
    }));
    const files = [
      ...(await putObjects(t.s3, t.sourceBucket, specs)),
      `s3://${t.sourceBucket}/awkward/missing "NULL", {x}.md`,
    ];
    const created = await createProgram(t, files, 'awkward');
    const program = await finishAndCheck(t, created.program_id, USER, files);
    expect(program.status).toBe('completed_with_failures');

    const { rows } = await t.db.query(
      'SELECT source_index, title, source_file_path FROM documents WHERE program_id = $1 ORDER BY source_index',
      [created.program_id],
    );
    expect(rows).toEqual(
      awkward.map((title, i) => ({ source_index: i, title: title.trim(), source_file_path: files[i] })),
    );
    const failed = await t.db.query(
      `SELECT f.error_code, f.processed_s3_path, a.error_code AS attempt_code, a.run_id
       FROM program_files f JOIN file_attempts a USING (program_id, source_index)
       WHERE f.program_id = $1 AND f.source_index = $2`,
      [created.program_id, awkward.length],
    );
    expect(failed.rows).toEqual([
      { error_code: 'SOURCE_NOT_FOUND', processed_s3_path: null, attempt_code: 'SOURCE_NOT_FOUND', run_id: null },
    ]);
  });

  it('records 5 missing and 3 unreadable files out of 300 and finishes the rest', async () => {
    const specs = textFiles(300, 'mixed');
    const missing = new Set([3, 50, 120, 200, 299]);
    const unreadable = new Map<number, Buffer | string>([
      [10, Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 131 + 7) % 256))], // binary junk
      [77, '{"title": "broken", "body": '], // truncated JSON
      [150, Buffer.concat([Buffer.from('GIF89a'), Buffer.alloc(200, 3)])], // an image, not a document
    ]);
    specs[77] = { key: 'mixed/broken.json', body: '' };
    const toPut = specs
      .map((s, i) => (unreadable.has(i) ? { ...s, body: unreadable.get(i)! } : s))
      .filter((_, i) => !missing.has(i));
    await putObjects(t.s3, t.sourceBucket, toPut);
    const files = specs.map((s) => `s3://${t.sourceBucket}/${s.key}`);

    const created = await createProgram(t, files, 'partial');
    const program = await finishAndCheck(t, created.program_id, USER, files);

    expect(program.status).toBe('completed_with_failures');
    const m = program.metadata_json;
    expect(m.preprocessing.summary).toEqual({ total: 300, success: 292, failed: 8 });
    expect(m.document_storage.summary).toEqual({ total: 292, success: 292, failed: 0 });
    expect(m.total_expected).toBe(300);
    expect(m.total_successful_documents).toBe(292);
    expect(m.has_partial_failure).toBe(true);

    const byIndex = new Map<number, Record<string, any>>(m.preprocessing.failed_files.map((f: any) => [f.index, f]));
    expect([...byIndex.keys()].sort((a, b) => a - b)).toEqual([3, 10, 50, 77, 120, 150, 200, 299]);
    for (const f of byIndex.values()) {
      expect(f).toEqual({
        file_path: files[f.index],
        index: f.index,
        error: expect.any(String),
        retry_count: 0,
        timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
        error_code: expect.any(String),
        retryable: expect.any(Boolean),
        next_retry_at: f.retryable ? expect.stringMatching(/Z$/) : null,
        exhausted: false,
      });
    }
    for (const i of missing) expect(byIndex.get(i)).toMatchObject({ error_code: 'SOURCE_NOT_FOUND', retryable: true });
    expect(byIndex.get(10)).toMatchObject({ error_code: 'UNSUPPORTED_TYPE', retryable: false });
    expect(byIndex.get(77)).toMatchObject({ error_code: 'CORRUPT_FILE', retryable: false });
    expect(byIndex.get(150)).toMatchObject({ error_code: 'UNSUPPORTED_TYPE', retryable: false });

    const failures = await request(t.server)
      .get(`/v1/programs/${created.program_id}/failures`)
      .query({ user_id: USER, stage: 'preprocessing', limit: 5 });
    expect(failures.status).toBe(200);
    expect(failures.body.items.map((f: any) => [f.stage, f.index])).toEqual([
      ['preprocessing', 3],
      ['preprocessing', 10],
      ['preprocessing', 50],
      ['preprocessing', 77],
      ['preprocessing', 120],
    ]);
    const rest = await request(t.server)
      .get(`/v1/programs/${created.program_id}/failures`)
      .query({ user_id: USER, stage: 'preprocessing', limit: 5, cursor: failures.body.next_cursor });
    expect(rest.body.items.map((f: any) => f.index)).toEqual([150, 200, 299]);
    expect(rest.body.next_cursor).toBeNull();
  });

  it('lists only failures of the requested stage and cuts inline lists at FAILED_FILES_INLINE_LIMIT', async () => {
    const small = await startTestApp({ FAILED_FILES_INLINE_LIMIT: '2' });
    try {
      const files = Array.from({ length: 5 }, (_, i) => `s3://${small.sourceBucket}/absent-${i}.txt`);
      const res = await request(small.server)
        .post('/v1/programs')
        .query({ user_id: USER })
        .send({ name: 'cut', files });
      expect(res.status).toBe(202);
      const program = await finishAndCheck(small, res.body.program_id, USER, files);
      expect(program.metadata_json.preprocessing.failed_files).toHaveLength(2);
      expect(program.metadata_json.preprocessing.failed_files_truncated).toBe(true);
      expect(program.metadata_json.document_storage.failed_files_truncated).toBeUndefined();
      const docStage = await request(small.server)
        .get(`/v1/programs/${res.body.program_id}/failures`)
        .query({ user_id: USER, stage: 'document' });
      expect(docStage.body).toEqual({ items: [], next_cursor: null });
    } finally {
      await small.close();
    }
  });
});
