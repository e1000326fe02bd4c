/**
 * The shared checker of SPEC §4: every test that lets a program finish calls
 * expectProgramInvariants(). It looks only from the outside — the HTTP API, SQL on the
 * app's database and S3 — and reports every violation it finds at once.
 */
import { HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { Client, Pool, PoolClient } from 'pg';
import request from 'supertest';

export interface InvariantContext {
  /** The Nest HTTP server: `app.getHttpServer()`. */
  server: any;
  /** Connected to the app's database. */
  db: Client | Pool | PoolClient;
  s3: S3Client;
  /** The output bucket (processed JSON). */
  bucket: string;
  /** FAILED_FILES_INLINE_LIMIT the app runs with; default: that env variable, else 1000. */
  inlineLimit?: number;
  /** The program's files in order, when the test knows them: paths are then checked too. */
  files?: readonly string[];
}

const FINAL_STATUSES = ['completed', 'completed_with_failures', 'cancelled', 'aborted'];
const PAGE_LIMIT = 1000;
const S3_CONCURRENCY = 16;
const MAX_REPORTED = 200;

const PRE_KEYS = [
  'file_path',
  'index',
  'error',
  'retry_count',
  'timestamp',
  'error_code',
  'retryable',
  'next_retry_at',
  'exhausted',
] as const;
const DOC_KEYS = [
  'json_key',
  'filename',
  's3_path',
  'source_file_path',
  'source_index',
  'error',
  'timestamp',
  'retry_count',
  'error_code',
  'retryable',
  'next_retry_at',
  'exhausted',
] as const;
const DOCUMENT_KEYS = [
  'document_id',
  'program_id',
  'source_index',
  'source_file_path',
  's3_path',
  'title',
  'content_type',
  'characters',
  'chunk_count',
  'sha256',
  'created_at',
] as const;

type Json = Record<string, any>;
type Stage = 'preprocessing' | 'document';

export async function expectProgramInvariants(ctx: InvariantContext, programId: string, userId: string): Promise<void> {
  const violations: string[] = [];
  const check = (ok: boolean, message: string): void => {
    if (!ok) violations.push(message);
  };

  // ---- the program -------------------------------------------------------------------
  const res = await request(ctx.server)
    .get(`/v1/programs/${encodeURIComponent(programId)}`)
    .query({ user_id: userId });
  expectStatus(res, 200, `GET /v1/programs/${programId}`);
  const program = res.body as Json;
  check(program.program_id === programId, `program.program_id is ${show(program.program_id)}, expected ${programId}`);
  check(program.user_id === userId, `program.user_id is ${show(program.user_id)}, expected ${userId}`);
  if (!FINAL_STATUSES.includes(program.status)) {
    // Nothing else holds while the program is being worked on: stop here.
    throw new Error(
      `program ${programId}: status is ${show(program.status)}, expected a settled status ` +
        `(invariants hold only once it is no longer being worked on)`,
    );
  }
  const m = program.metadata_json as Json;
  if (!isObject(m) || !isObject(m.preprocessing) || !isObject(m.document_storage)) {
    throw new Error(`program ${programId}: metadata_json lacks preprocessing / document_storage: ${show(m)}`);
  }
  const pre = stageSummary(m.preprocessing, 'preprocessing', check);
  const doc = stageSummary(m.document_storage, 'document_storage', check);
  const total = program.total_files;
  check(isCount(total), `program.total_files is ${show(total)}, expected a non-negative integer`);
  if (ctx.files)
    check(total === ctx.files.length, `program.total_files is ${total}, the test created ${ctx.files.length} files`);

  // 1–5: counts
  check(
    pre.total === m.total_expected,
    `#1 preprocessing.summary.total (${pre.total}) != total_expected (${show(m.total_expected)})`,
  );
  check(m.total_expected === total, `#1 total_expected (${show(m.total_expected)}) != number of files (${total})`);
  check(
    pre.success + pre.failed === m.total_expected,
    `#2 preprocessing success (${pre.success}) + failed (${pre.failed}) != total_expected (${show(m.total_expected)})`,
  );
  check(
    doc.total === pre.success,
    `#3 document_storage.summary.total (${doc.total}) != preprocessing.summary.success (${pre.success})`,
  );
  check(
    doc.success + doc.failed === doc.total,
    `#3 document_storage success (${doc.success}) + failed (${doc.failed}) != document_storage total (${doc.total})`,
  );
  check(
    m.total_successful_documents === doc.success,
    `#4 total_successful_documents (${show(m.total_successful_documents)}) != document_storage.summary.success (${doc.success})`,
  );
  const anyFailed = pre.failed + doc.failed > 0;
  check(
    m.has_partial_failure === anyFailed,
    `#5 has_partial_failure is ${show(m.has_partial_failure)} but preprocessing.failed + document_storage.failed = ${pre.failed + doc.failed}`,
  );

  // The list's counts are copied beside the summary whenever it is written: they must agree.
  const counted = await ctx.db.query<{ done_files: number; failed_files: number }>(
    'SELECT done_files, failed_files FROM program_states WHERE program_id = $1',
    [programId],
  );
  check(
    counted.rows[0]?.done_files === m.total_successful_documents &&
      counted.rows[0]?.failed_files === pre.failed + doc.failed,
    `program_states counts ${show(counted.rows[0])} != the summary's (done ${show(m.total_successful_documents)}, failed ${pre.failed + doc.failed})`,
  );

  // ---- failures: the complete lists --------------------------------------------------
  const all = await fetchAllPages(ctx, `/v1/programs/${encodeURIComponent(programId)}/failures`, userId, {}, total);
  // #5 (SPEC §8.4): a program stopped by its budget is aborted, one stopped by a person cancelled,
  // while any file carries that stop; any other ends completed_with_failures exactly when it failed.
  const stops = new Set(all.map((f) => f.error_code));
  const expectedStatus = stops.has('BUDGET_EXCEEDED')
    ? 'aborted'
    : stops.has('CANCELLED')
      ? 'cancelled'
      : m.has_partial_failure === true
        ? 'completed_with_failures'
        : 'completed';
  check(
    program.status === expectedStatus,
    `#5 status is ${program.status}, expected ${expectedStatus} (has_partial_failure ${show(m.has_partial_failure)})`,
  );
  const preList = await fetchAllPages(
    ctx,
    `/v1/programs/${encodeURIComponent(programId)}/failures`,
    userId,
    { stage: 'preprocessing' },
    total,
  );
  const docList = await fetchAllPages(
    ctx,
    `/v1/programs/${encodeURIComponent(programId)}/failures`,
    userId,
    { stage: 'document' },
    total,
  );

  const preIdx = new Map<number, Json>();
  const docIdx = new Map<number, Json>();
  for (const item of all) {
    check(
      item.stage === 'preprocessing' || item.stage === 'document',
      `failures item has stage ${show(item.stage)}: ${show(item)}`,
    );
    if (item.stage === 'preprocessing') {
      checkFailureRecord(item, 'preprocessing', 'failures endpoint', ctx, programId, total, check);
      if (preIdx.has(item.index)) check(false, `#6 file ${item.index} is listed twice among preprocessing failures`);
      preIdx.set(item.index, item);
    } else if (item.stage === 'document') {
      checkFailureRecord(item, 'document', 'failures endpoint', ctx, programId, total, check);
      if (docIdx.has(item.source_index))
        check(false, `#6 file ${item.source_index} is listed twice among document failures`);
      docIdx.set(item.source_index, item);
    }
  }
  check(
    pre.failed === preIdx.size,
    `#6 preprocessing.summary.failed (${pre.failed}) != complete preprocessing failure list (${preIdx.size})`,
  );
  check(
    doc.failed === docIdx.size,
    `#6 document_storage.summary.failed (${doc.failed}) != complete document failure list (${docIdx.size})`,
  );
  for (const i of preIdx.keys()) {
    if (docIdx.has(i)) check(false, `#6 file ${i} is in both the preprocessing and the document failure list`);
  }
  // ?stage= filters must give the same lists
  sameIndexSet(preList, 'index', [...preIdx.keys()], 'failures?stage=preprocessing', check);
  sameIndexSet(docList, 'source_index', [...docIdx.keys()], 'failures?stage=document', check);
  for (const item of preList)
    check(
      item.stage === undefined || item.stage === 'preprocessing',
      `failures?stage=preprocessing returned an item of stage ${show(item.stage)}`,
    );
  for (const item of docList)
    check(
      item.stage === undefined || item.stage === 'document',
      `failures?stage=document returned an item of stage ${show(item.stage)}`,
    );

  // ---- inline failed_files -----------------------------------------------------------
  const limit = inlineLimit(ctx);
  checkInline(m.preprocessing, 'preprocessing', pre.failed, limit, preIdx, ctx, programId, total, check);
  checkInline(m.document_storage, 'document', doc.failed, limit, docIdx, ctx, programId, total, check);

  // ---- documents ---------------------------------------------------------------------
  const docs = await fetchAllPages(ctx, `/v1/programs/${encodeURIComponent(programId)}/documents`, userId, {}, total);
  const docByIndex = new Map<number, Json>();
  for (const d of docs) {
    const missing = DOCUMENT_KEYS.filter((k) => !(k in d));
    check(missing.length === 0, `document lacks ${missing.join(', ')}: ${show(d)}`);
    check(d.program_id === programId, `document ${show(d.document_id)} has program_id ${show(d.program_id)}`);
    check(
      isIndex(d.source_index, total),
      `document ${show(d.document_id)} has source_index ${show(d.source_index)} outside 0..${total - 1}`,
    );
    if (ctx.files && isIndex(d.source_index, total)) {
      check(
        d.source_file_path === ctx.files[d.source_index],
        `document ${d.source_index}: source_file_path ${show(d.source_file_path)} != ${ctx.files[d.source_index]}`,
      );
    }
    check(isCount(d.characters), `document ${d.source_index}: characters ${show(d.characters)}`);
    check(isCount(d.chunk_count), `document ${d.source_index}: chunk_count ${show(d.chunk_count)}`);
    check(
      typeof d.sha256 === 'string' && /^[0-9a-f]{64}$/.test(d.sha256),
      `document ${d.source_index}: sha256 ${show(d.sha256)}`,
    );
    check(
      isUtcTimestamp(d.created_at),
      `document ${d.source_index}: created_at ${show(d.created_at)} is not ISO 8601 UTC (Z)`,
    );
    if (docByIndex.has(d.source_index))
      check(false, `#7 two Documents for source_index ${d.source_index} in the documents endpoint`);
    docByIndex.set(d.source_index, d);
  }
  check(
    docs.length === m.total_successful_documents,
    `#4 documents endpoint lists ${docs.length} Documents, total_successful_documents is ${show(m.total_successful_documents)}`,
  );

  const countRes = await ctx.db.query<{ n: number }>('SELECT count(*)::int AS n FROM documents WHERE program_id = $1', [
    programId,
  ]);
  const sqlCount = countRes.rows[0].n;
  check(
    sqlCount === m.total_successful_documents,
    `#4 SQL count of Documents (${sqlCount}) != total_successful_documents (${show(m.total_successful_documents)})`,
  );
  check(sqlCount === docs.length, `#4 SQL count of Documents (${sqlCount}) != documents endpoint (${docs.length})`);
  const dupRes = await ctx.db.query<{ source_index: number; n: number }>(
    'SELECT source_index, count(*)::int AS n FROM documents WHERE program_id = $1 GROUP BY source_index HAVING count(*) > 1 ORDER BY source_index',
    [programId],
  );
  for (const r of dupRes.rows)
    check(false, `#7 ${r.n} Document rows for (program ${programId}, source_index ${r.source_index})`);
  const sqlIdx = await ctx.db.query<{ source_index: number }>(
    'SELECT DISTINCT source_index FROM documents WHERE program_id = $1',
    [programId],
  );
  sameIndexSet(sqlIdx.rows, 'source_index', [...docByIndex.keys()], 'documents table (SQL)', check);

  // every file: a Document or exactly one failure, never both
  if (isCount(total)) {
    for (let i = 0; i < total; i++) {
      const places = (docByIndex.has(i) ? 1 : 0) + (preIdx.has(i) ? 1 : 0) + (docIdx.has(i) ? 1 : 0);
      if (places !== 1) {
        const where = [
          docByIndex.has(i) && 'a Document',
          preIdx.has(i) && 'a preprocessing failure',
          docIdx.has(i) && 'a document failure',
        ]
          .filter(Boolean)
          .join(' and ');
        check(false, `file ${i} is ${places === 0 ? 'neither a Document nor a failure' : where}`);
      }
    }
  }

  // #7 a processed JSON for every Document
  const heads = await mapLimit([...docByIndex.values()], S3_CONCURRENCY, async (d) => headProcessedJson(ctx, d));
  for (const h of heads) if (h) check(false, h);

  // ---- retry_history -----------------------------------------------------------------
  check(Array.isArray(m.retry_history), `retry_history is ${show(m.retry_history)}, expected an array`);
  if (Array.isArray(m.retry_history)) {
    m.retry_history.forEach((e: Json, n: number) => checkRetryEntry(e, n, check));
    // #8 (SPEC §8.3): the window holds the newest runs; the total counts every run, inlined or not.
    const total: unknown = m.retry_history_total;
    check(
      Number.isInteger(total) && (total as number) >= m.retry_history.length,
      `retry_history_total is ${show(total)}, expected a whole number ≥ the ${m.retry_history.length} entries inlined`,
    );
    const cut = (total as number) > m.retry_history.length;
    check(
      cut ? m.retry_history_truncated === true : m.retry_history_truncated === undefined,
      `retry_history_truncated is ${show(m.retry_history_truncated)} with ${m.retry_history.length} of ${show(total)} runs inlined`,
    );
  }

  if (violations.length > 0) {
    const shown = violations.slice(0, MAX_REPORTED);
    const more = violations.length > shown.length ? [`… and ${violations.length - shown.length} more`] : [];
    expect({ program_id: programId, status: program.status, violations: [...shown, ...more] }).toEqual({
      program_id: programId,
      status: program.status,
      violations: [],
    });
  }
}

// ---------------------------------------------------------------------------------------

type Check = (ok: boolean, message: string) => void;

function stageSummary(stage: Json, name: string, check: Check): { total: number; success: number; failed: number } {
  const s = isObject(stage.summary) ? stage.summary : {};
  for (const k of ['total', 'success', 'failed']) {
    check(isCount(s[k]), `${name}.summary.${k} is ${show(s[k])}, expected a non-negative integer`);
  }
  check(Array.isArray(stage.failed_files), `${name}.failed_files is ${show(stage.failed_files)}, expected an array`);
  return { total: Number(s.total), success: Number(s.success), failed: Number(s.failed) };
}

function checkFailureRecord(
  r: Json,
  stage: Stage,
  where: string,
  ctx: InvariantContext,
  programId: string,
  total: number,
  check: Check,
): void {
  const keys = stage === 'preprocessing' ? PRE_KEYS : DOC_KEYS;
  const missing = keys.filter((k) => !(k in r));
  const index = stage === 'preprocessing' ? r.index : r.source_index;
  const label = `${stage} failure of file ${show(index)} (${where})`;
  check(missing.length === 0, `${label} lacks ${missing.join(', ')}: ${show(r)}`);
  check(isIndex(index, total), `${label}: index outside 0..${total - 1}`);
  check(typeof r.error === 'string' && r.error.length > 0, `${label}: error is ${show(r.error)}`);
  check(typeof r.error_code === 'string' && r.error_code.length > 0, `${label}: error_code is ${show(r.error_code)}`);
  check(isCount(r.retry_count), `${label}: retry_count is ${show(r.retry_count)}`);
  check(typeof r.retryable === 'boolean', `${label}: retryable is ${show(r.retryable)}`);
  check(typeof r.exhausted === 'boolean', `${label}: exhausted is ${show(r.exhausted)}`);
  check(isUtcTimestamp(r.timestamp), `${label}: timestamp ${show(r.timestamp)} is not ISO 8601 UTC ending in Z`);
  check(
    r.next_retry_at === null || isUtcTimestamp(r.next_retry_at),
    `${label}: next_retry_at ${show(r.next_retry_at)} is neither null nor ISO 8601 UTC ending in Z`,
  );
  if (r.retryable === false) {
    check(
      r.next_retry_at === null && r.exhausted === false,
      `${label}: not retryable, so next_retry_at must be null and exhausted false (got ${show(r.next_retry_at)}, ${show(r.exhausted)})`,
    );
  }
  if (stage === 'preprocessing') {
    check(typeof r.file_path === 'string', `${label}: file_path is ${show(r.file_path)}`);
    if (ctx.files && isIndex(index, total)) {
      check(r.file_path === ctx.files[index], `${label}: file_path ${show(r.file_path)} != ${ctx.files[index]}`);
    }
  } else {
    const filename = `processed_${programId}_${index}.json`;
    check(r.json_key === `json_file_${index}`, `${label}: json_key ${show(r.json_key)} != json_file_${index}`);
    check(r.filename === filename, `${label}: filename ${show(r.filename)} != ${filename}`);
    check(
      typeof r.s3_path === 'string' && r.s3_path.startsWith('s3://') && r.s3_path.endsWith(`/${filename}`),
      `${label}: s3_path ${show(r.s3_path)} is not the s3:// path of ${filename}`,
    );
    check(typeof r.source_file_path === 'string', `${label}: source_file_path is ${show(r.source_file_path)}`);
    if (ctx.files && isIndex(index, total)) {
      check(
        r.source_file_path === ctx.files[index],
        `${label}: source_file_path ${show(r.source_file_path)} != ${ctx.files[index]}`,
      );
    }
  }
}

function checkInline(
  stageObj: Json,
  stage: Stage,
  failed: number,
  limit: number,
  complete: Map<number, Json>,
  ctx: InvariantContext,
  programId: string,
  total: number,
  check: Check,
): void {
  const name = stage === 'preprocessing' ? 'preprocessing' : 'document_storage';
  const list: Json[] = Array.isArray(stageObj.failed_files) ? stageObj.failed_files : [];
  const expectedLen = Math.min(failed, limit);
  const cut = failed > limit;
  check(
    list.length === expectedLen,
    `#6 ${name}.failed_files has ${list.length} records, expected min(failed ${failed}, limit ${limit}) = ${expectedLen}`,
  );
  check(
    (stageObj.failed_files_truncated === true) === cut,
    `${name}.failed_files_truncated is ${show(stageObj.failed_files_truncated)} with ${failed} failures and inline limit ${limit}`,
  );
  if (!cut) {
    check(
      stageObj.failed_files_truncated === undefined || stageObj.failed_files_truncated === false,
      `${name}.failed_files_truncated is ${show(stageObj.failed_files_truncated)} although nothing was cut`,
    );
  }
  const seen = new Set<number>();
  for (const r of list) {
    checkFailureRecord(r, stage, `inline ${name}.failed_files`, ctx, programId, total, check);
    const index = stage === 'preprocessing' ? r.index : r.source_index;
    if (seen.has(index)) check(false, `${name}.failed_files lists file ${index} twice`);
    seen.add(index);
    const full = complete.get(index);
    if (!full) {
      check(
        false,
        `${name}.failed_files lists file ${show(index)}, which the failures endpoint does not list for that stage`,
      );
      continue;
    }
    for (const k of ['error_code', 'retry_count', 'retryable', 'exhausted'] as const) {
      check(
        r[k] === full[k],
        `${name}.failed_files file ${index}: ${k} ${show(r[k])} inline but ${show(full[k])} from the failures endpoint`,
      );
    }
  }
}

function checkRetryEntry(e: Json, n: number, check: Check): void {
  const label = `retry_history[${n}]`;
  if (!isObject(e)) {
    check(false, `${label} is ${show(e)}`);
    return;
  }
  check(['preprocessing', 'document', 'all'].includes(e.retry_type), `${label}.retry_type is ${show(e.retry_type)}`);
  check(
    e.trigger === 'manual' || e.trigger === 'scheduled',
    `${label}.trigger is ${show(e.trigger)}, expected manual or scheduled`,
  );
  check(isUtcTimestamp(e.timestamp), `${label}.timestamp ${show(e.timestamp)} is not ISO 8601 UTC ending in Z`);
  for (const stage of ['preprocessing', 'document'] as const) {
    const c = isObject(e.results) ? e.results[stage] : undefined;
    if (!isObject(c)) {
      check(false, `${label}.results.${stage} is missing: ${show(e.results)}`);
      continue;
    }
    for (const k of ['retried', 'success', 'failed']) {
      check(isCount(c[k]), `${label}.results.${stage}.${k} is ${show(c[k])}, expected a non-negative integer`);
    }
    check(
      c.success + c.failed === c.retried,
      `${label}.results.${stage}: success ${c.success} + failed ${c.failed} != retried ${c.retried}`,
    );
  }
}

async function headProcessedJson(ctx: InvariantContext, d: Json): Promise<string | undefined> {
  const label = `#7 Document ${d.source_index}`;
  const parsed = parseS3Path(d.s3_path);
  if (!parsed) return `${label}: s3_path ${show(d.s3_path)} is not s3://bucket/key`;
  if (parsed.bucket !== ctx.bucket) return `${label}: s3_path ${d.s3_path} is not in the output bucket ${ctx.bucket}`;
  try {
    const head = await ctx.s3.send(new HeadObjectCommand({ Bucket: parsed.bucket, Key: parsed.key }));
    if (!head.ContentLength) return `${label}: processed JSON ${d.s3_path} is empty`;
    return undefined;
  } catch (err) {
    const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
    if (e?.name === 'NotFound' || e?.$metadata?.httpStatusCode === 404)
      return `${label}: no processed JSON at ${d.s3_path}`;
    return `${label}: HeadObject ${d.s3_path} failed: ${e?.name ?? String(err)}`;
  }
}

function parseS3Path(path: unknown): { bucket: string; key: string } | undefined {
  if (typeof path !== 'string') return undefined;
  const m = /^s3:\/\/([^/]+)\/(.+)$/.exec(path);
  return m ? { bucket: m[1], key: m[2] } : undefined;
}

/** Follows next_cursor to the end; fails on a non-200 answer or a cursor loop. */
async function fetchAllPages(
  ctx: InvariantContext,
  path: string,
  userId: string,
  extra: Record<string, string>,
  total: number,
): Promise<Json[]> {
  const items: Json[] = [];
  const seenCursors = new Set<string>();
  const maxPages = Math.ceil((isCount(total) ? total : 0) / PAGE_LIMIT) + 3;
  let cursor: string | undefined;
  for (let page = 0; ; page++) {
    const query: Record<string, string | number> = { user_id: userId, limit: PAGE_LIMIT, ...extra };
    if (cursor !== undefined) query.cursor = cursor;
    const res = await request(ctx.server).get(path).query(query);
    const what = `GET ${path}?${new URLSearchParams(Object.entries(query).map(([k, v]): [string, string] => [k, String(v)])).toString()}`;
    expectStatus(res, 200, what);
    const body = res.body as Json;
    if (!Array.isArray(body.items)) throw new Error(`${what}: items is ${show(body.items)}, expected an array`);
    if (body.items.length > PAGE_LIMIT) throw new Error(`${what}: ${body.items.length} items for limit ${PAGE_LIMIT}`);
    items.push(...body.items);
    const next = body.next_cursor;
    if (next === null || next === undefined || next === '') return items;
    if (typeof next !== 'string') throw new Error(`${what}: next_cursor is ${show(next)}`);
    if (seenCursors.has(next)) throw new Error(`${what}: next_cursor ${next} was already followed (cursor loop)`);
    if (page + 1 >= maxPages) throw new Error(`${what}: more than ${maxPages} pages for ${total} files`);
    seenCursors.add(next);
    cursor = next;
  }
}

function sameIndexSet(items: readonly Json[], key: string, expected: number[], what: string, check: Check): void {
  const got = items.map((i) => i[key] as number);
  const gotSet = new Set(got);
  const expSet = new Set(expected);
  check(got.length === gotSet.size, `${what}: the same file appears more than once`);
  const missing = expected.filter((i) => !gotSet.has(i));
  const extra = [...gotSet].filter((i) => !expSet.has(i));
  check(
    missing.length === 0 && extra.length === 0,
    `${what}: differs — missing ${preview(missing)}, extra ${preview(extra)}`,
  );
}

function inlineLimit(ctx: InvariantContext): number {
  if (ctx.inlineLimit !== undefined) return ctx.inlineLimit;
  const env = process.env.FAILED_FILES_INLINE_LIMIT;
  const n = env === undefined || env === '' ? NaN : Number(env);
  return Number.isInteger(n) && n >= 0 ? n : 1000;
}

function expectStatus(res: request.Response, status: number, what: string): void {
  if (res.status !== status) {
    throw new Error(`${what} answered ${res.status}, expected ${status}: ${show(res.body ?? res.text)}`);
  }
}

async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]);
    }
  });
  await Promise.all(workers);
  return out;
}

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isCount(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0;
}

function isIndex(v: unknown, total: number): v is number {
  return isCount(v) && v < total;
}

const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

function isUtcTimestamp(v: unknown): boolean {
  return typeof v === 'string' && ISO_UTC.test(v) && !Number.isNaN(Date.parse(v));
}

function preview(xs: number[]): string {
  if (xs.length === 0) return '[]';
  const sorted = [...xs].sort((a, b) => a - b);
  return `[${sorted.slice(0, 20).join(', ')}${sorted.length > 20 ? `, … (${sorted.length})` : ''}]`;
}

function show(v: unknown): string {
  let s: string;
  try {
    s = JSON.stringify(v) ?? String(v);
  } catch {
    s = String(v);
  }
  return s.length > 300 ? `${s.slice(0, 300)}…` : s;
}
