import { randomBytes } from 'node:crypto';
import request from 'supertest';
import { blockDocuments, clearDocumentFaults } from '../factories/db-faults';
import { putObjects, textFiles } from '../factories/s3-objects';
import { finishAndCheck, startTestApp, TestApp } from '../support/test-app';

const STATUSES = ['pending', 'processing', 'completed', 'completed_with_failures', 'cancelled', 'aborted'];

interface Seeded {
  status: string;
  total: number;
  done: number;
  preFailed: number;
  docFailed: number;
  /** Minutes before now: fixes the list order. */
  ageMinutes: number;
}

describe('program list: status filter and counts', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp();
  });

  afterAll(async () => {
    await clearDocumentFaults(t.db);
    await t?.close();
  });

  const list = (query: Record<string, string | number>) => request(t.server).get('/v1/programs').query(query);

  /**
   * A program written straight into the tables, in any status, with a summary saying what the test
   * wants. Unfinished ones get one file leased far into the future by a holder that does not exist:
   * no worker takes it and nothing settles the program meanwhile.
   */
  async function seed(user: string, p: Seeded): Promise<string> {
    const id = `prog_${randomBytes(12).toString('hex')}`;
    const preSuccess = p.done + p.docFailed;
    const metadata = {
      preprocessing: { summary: { total: p.total, success: preSuccess, failed: p.preFailed }, failed_files: [] },
      document_storage: { summary: { total: preSuccess, success: p.done, failed: p.docFailed }, failed_files: [] },
      total_expected: p.total,
      total_successful_documents: p.done,
      has_partial_failure: p.preFailed + p.docFailed > 0,
      retry_history: [],
      retry_history_total: 0,
    };
    await t.db.query(
      `INSERT INTO programs (id, user_id, name, total_files, created_at)
       VALUES ($1, $2, $3, $4, now() - $5 * interval '1 minute')`,
      [id, user, `seeded ${p.status}`, p.total, p.ageMinutes],
    );
    // As the service writes a summary: metadata_json with its counts copied beside it.
    await t.db.query(
      `INSERT INTO program_states (program_id, status, metadata_json, done_files, failed_files)
       VALUES ($1, $2, $3::json, $4, $5)`,
      [id, p.status, JSON.stringify(metadata), p.done, p.preFailed + p.docFailed],
    );
    if (p.status === 'pending' || p.status === 'processing') {
      await t.db.query(
        `INSERT INTO program_files (program_id, source_index, source_file_path, state, lease_owner, lease_expires_at)
         VALUES ($1, 0, 's3://nowhere/held.txt', 'processing', 'a-replica-that-is-not-there', now() + interval '1 day')`,
        [id],
      );
    }
    return id;
  }

  it('gives each summary the counts of its metadata_json, as the program finished', async () => {
    const user = 'counter';
    const create = async (files: string[]) => {
      const res = await request(t.server).post('/v1/programs').query({ user_id: user }).send({ name: 'c', files });
      expect(res.status).toBe(202);
      return res.body.program_id as string;
    };
    // All good; one source missing; one Document refused.
    const good = await putObjects(t.s3, t.sourceBucket, textFiles(3, 'counts-good'));
    const goodId = await create(good);
    const partSpecs = textFiles(4, 'counts-missing');
    const part = [
      ...(await putObjects(t.s3, t.sourceBucket, partSpecs.slice(0, 3))),
      `s3://${t.sourceBucket}/${partSpecs[3].key}`,
    ];
    const partId = await create(part);
    await finishAndCheck(t, goodId, user, good);
    await finishAndCheck(t, partId, user, part);
    await blockDocuments(t.db, `NEW.source_file_path LIKE '%/counts-doc/file-00000.%'`);
    const doc = await putObjects(t.s3, t.sourceBucket, textFiles(5, 'counts-doc'));
    const docId = await create(doc);
    await finishAndCheck(t, docId, user, doc);
    await clearDocumentFaults(t.db);

    const res = await list({ user_id: user });
    expect(res.status).toBe(200);
    const counts = Object.fromEntries(
      res.body.items.map((p: { program_id: string; counts: unknown }) => [p.program_id, p.counts]),
    );
    expect(counts).toEqual({
      [goodId]: { done: 3, failed: 0, pending: 0 },
      [partId]: { done: 3, failed: 1, pending: 0 },
      [docId]: { done: 4, failed: 1, pending: 0 },
    });
    // Exactly what the program's own summary says.
    for (const id of [goodId, partId, docId]) {
      const m = (await request(t.server).get(`/v1/programs/${id}`).query({ user_id: user })).body.metadata_json;
      expect(counts[id]).toEqual({
        done: m.total_successful_documents,
        failed: m.preprocessing.summary.failed + m.document_storage.summary.failed,
        pending:
          m.total_expected -
          m.total_successful_documents -
          m.preprocessing.summary.failed -
          m.document_storage.summary.failed,
      });
    }
    const item = res.body.items.find((p: { program_id: string }) => p.program_id === partId);
    expect(Object.keys(item).sort()).toEqual(
      ['counts', 'created_at', 'name', 'program_id', 'status', 'total_files', 'updated_at', 'user_id'].sort(),
    );
  });

  it('counts a program mid-run from its summary, not from its files', async () => {
    const user = 'midrun';
    // The summary says 40 done and 10 failed of 100; the tables hold a single file row.
    const id = await seed(user, {
      status: 'processing',
      total: 100,
      done: 40,
      preFailed: 6,
      docFailed: 4,
      ageMinutes: 1,
    });
    const fresh = await seed(user, { status: 'pending', total: 7, done: 0, preFailed: 0, docFailed: 0, ageMinutes: 0 });
    const res = await list({ user_id: user });
    expect(
      res.body.items.map((p: { program_id: string; status: string; counts: unknown }) => [
        p.program_id,
        p.status,
        p.counts,
      ]),
    ).toEqual([
      [fresh, 'pending', { done: 0, failed: 0, pending: 7 }],
      [id, 'processing', { done: 40, failed: 10, pending: 50 }],
    ]);
  });

  it('filters by every status, and pages a filtered list with its cursor', async () => {
    const user = 'filterer';
    // Two programs of every status, interleaved in time, plus five more aborted ones to page through.
    const byStatus: Record<string, string[]> = Object.fromEntries(STATUSES.map((s) => [s, []]));
    let age = 100;
    for (let round = 0; round < 2; round++) {
      for (const status of STATUSES) {
        const done = status === 'completed' ? 5 : 2;
        const preFailed = ['completed', 'pending'].includes(status) ? 0 : 1;
        const docFailed = status === 'completed_with_failures' ? 1 : 0;
        byStatus[status].push(
          await seed(user, {
            status,
            total: status === 'completed' ? 5 : 9,
            done: status === 'pending' ? 0 : done,
            preFailed,
            docFailed,
            ageMinutes: age--,
          }),
        );
      }
    }
    for (let i = 0; i < 5; i++) {
      byStatus.aborted.push(
        await seed(user, { status: 'aborted', total: 10, done: i, preFailed: 10 - i, docFailed: 0, ageMinutes: age-- }),
      );
    }

    for (const status of STATUSES) {
      const res = await list({ user_id: user, status });
      expect(res.status).toBe(200);
      expect(res.body.items.every((p: { status: string }) => p.status === status)).toBe(true);
      // Newest first: seeded oldest first.
      expect(res.body.items.map((p: { program_id: string }) => p.program_id)).toEqual([...byStatus[status]].reverse());
      expect(res.body.next_cursor).toBeNull();
    }

    const seen: string[] = [];
    const pages: number[] = [];
    let cursor: string | undefined;
    do {
      const res = await list({ user_id: user, status: 'aborted', limit: 2, ...(cursor ? { cursor } : {}) });
      expect(res.status).toBe(200);
      pages.push(res.body.items.length);
      for (const p of res.body.items) {
        expect(p.status).toBe('aborted');
        expect(p.counts.done + p.counts.failed + p.counts.pending).toBe(p.total_files);
        seen.push(p.program_id);
      }
      cursor = res.body.next_cursor ?? undefined;
    } while (cursor);
    expect(pages).toEqual([2, 2, 2, 1]);
    expect(seen).toEqual([...byStatus.aborted].reverse());

    // Without a filter, everything, still newest first.
    const all = await list({ user_id: user, limit: 1000 });
    expect(all.body.items).toHaveLength(17);
  });

  it.each(['done', 'COMPLETED', '', 'completed,aborted'])('answers 400 INVALID_STATUS to status=%j', async (status) => {
    const res = await list({ user_id: 'anyone', status });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({
      statusCode: 400,
      error: 'Bad Request',
      message: expect.any(String),
      code: 'INVALID_STATUS',
    });
  });

  it('documents the filter and the counts in the OpenAPI document', async () => {
    const res = await request(t.server).get('/docs-json');
    const op = res.body.paths['/v1/programs'].get;
    const status = op.parameters.find((p: { name: string }) => p.name === 'status');
    expect(status.schema.enum).toEqual(STATUSES);
    expect(res.body.components.schemas.ProgramListItemDto.properties.counts).toBeDefined();
  });
});
