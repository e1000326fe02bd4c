import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import request from 'supertest';
import { ERROR_CODES } from '../../src/common/errors/error-codes';
import { startTestApp, TestApp } from '../support/test-app';
import type { OpenApiDocument } from './openapi-validator';

/**
 * The OpenAPI contract, under review. The live /docs-json and the TypeScript types made of it are
 * committed in test/contract/generated/: a change to the contract shows in a diff, and this test
 * fails until that diff is made (`npm run openapi:generate`, which runs this file with
 * OPENAPI_WRITE=1). A small client is type-checked against the types, so a change that would break
 * a caller fails here too.
 */
const ROOT = resolve(__dirname, '..', '..');
const GENERATED = join(__dirname, 'generated');
const GENERATE = join(ROOT, 'scripts', 'openapi', 'generate.js');
const TSC = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
const WRITE = process.env.OPENAPI_WRITE === '1';

const OPERATION_IDS = [
  'createProgram',
  'listPrograms',
  'getProgram',
  'listFailures',
  'countFailures',
  'exportFailures',
  'getFileStory',
  'retryProgram',
  'listRetryRuns',
  'getRetryRun',
  'cancelProgram',
  'listDocuments',
  'getMe',
  'createApiKey',
  'listApiKeys',
  'revokeApiKey',
  'live',
  'ready',
  'metrics',
];

/** Fractions, not counts: the only numbers the contract lets be other than whole. */
const NOT_INTEGERS = ['CreateProgramDto.failure_budget.max_failed_ratio'];

function run(args: string[]): { status: number | null; output: string } {
  const r = spawnSync(process.execPath, args, { cwd: ROOT, encoding: 'utf8', timeout: 180_000 });
  return { status: r.status, output: `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? String(r.error) : ''}` };
}

function generate(doc: unknown, outDir: string): void {
  const input = join(outDir, 'document.in.json');
  mkdirSync(outDir, { recursive: true });
  writeFileSync(input, JSON.stringify(doc));
  const r = run([GENERATE, input, outDir]);
  rmSync(input);
  if (r.status !== 0) throw new Error(`generate.js failed:\n${r.output}`);
}

/** Type-checks the client in `dir` (client.ts beside generated/api.d.ts). */
function typeCheckClient(dir: string): { status: number | null; output: string } {
  return run([TSC, '-p', join(dir, 'tsconfig.json')]);
}

/** A copy of the client with types made of `doc`, to type-check it against another contract. */
function clientAgainst(doc: unknown, dir: string): string {
  generate(doc, join(dir, 'generated'));
  copyFileSync(join(__dirname, 'client.ts'), join(dir, 'client.ts'));
  writeFileSync(
    join(dir, 'tsconfig.json'),
    JSON.stringify({
      extends: join(__dirname, 'tsconfig.client.json'),
      compilerOptions: { typeRoots: [join(ROOT, 'node_modules', '@types')] },
      files: ['client.ts'],
    }),
  );
  return dir;
}

/** Every schema in the document with where it sits, for rules that hold everywhere. */
function* schemasOf(doc: OpenApiDocument): Generator<[string, any]> {
  function* walk(where: string, s: any): Generator<[string, any]> {
    if (!s || typeof s !== 'object') return;
    yield [where, s];
    for (const [k, v] of Object.entries((s.properties ?? {}) as Record<string, unknown>))
      yield* walk(`${where}.${k}`, v);
    if (s.items) yield* walk(`${where}[]`, s.items);
    if (typeof s.additionalProperties === 'object') yield* walk(`${where}{}`, s.additionalProperties);
    for (const k of ['allOf', 'anyOf', 'oneOf'])
      for (const [i, v] of (s[k] ?? []).entries()) yield* walk(`${where}|${i}`, v);
  }
  for (const [name, s] of Object.entries(doc.components.schemas)) yield* walk(name, s);
  for (const [path, ops] of Object.entries(doc.paths)) {
    for (const op of Object.values(ops)) {
      for (const p of op.parameters ?? []) yield* walk(`${op.operationId} ${p.in} ${p.name}`, p.schema);
      for (const [status, r] of Object.entries((op.responses ?? {}) as Record<string, any>)) {
        for (const [name, h] of Object.entries((r.headers ?? {}) as Record<string, any>)) {
          yield* walk(`${op.operationId} ${status} header ${name}`, h.schema);
        }
        for (const [type, c] of Object.entries((r.content ?? {}) as Record<string, any>)) {
          yield* walk(`${op.operationId} ${status} ${type}`, c.schema);
        }
      }
      for (const [type, c] of Object.entries((op.requestBody?.content ?? {}) as Record<string, any>)) {
        yield* walk(`${path} body ${type}`, c.schema);
      }
    }
  }
}

describe('OpenAPI contract', () => {
  let t: TestApp;
  let doc: OpenApiDocument;
  let work: string;
  const ops = () =>
    Object.values(doc.paths).flatMap((byMethod) => Object.values(byMethod) as Array<Record<string, any>>);

  beforeAll(async () => {
    t = await startTestApp();
    const res = await request(t.server).get('/docs-json');
    expect(res.status).toBe(200);
    doc = res.body;
    work = mkdtempSync(join(tmpdir(), 'openapi-contract-'));
    generate(doc, WRITE ? GENERATED : join(work, 'live'));
  });

  afterAll(async () => {
    if (work) rmSync(work, { recursive: true, force: true });
    await t?.close();
  });

  it.each(['openapi.json', 'api.d.ts'])('%s is what the service publishes now', (name) => {
    const committed = readFileSync(join(GENERATED, name), 'utf8');
    const live = WRITE ? committed : readFileSync(join(work, 'live', name), 'utf8');
    if (live !== committed) {
      throw new Error(
        `test/contract/generated/${name} differs from the live document: the API contract changed. ` +
          'Run `npm run openapi:generate` and review the diff (a client of the service sees the same change).',
      );
    }
  });

  it('names every operation with a stable operationId', () => {
    expect(ops().map((op) => op.operationId as string)).toEqual(expect.arrayContaining(OPERATION_IDS));
    expect(
      ops()
        .map((op) => op.operationId as string)
        .sort(),
    ).toEqual([...OPERATION_IDS].sort());
  });

  it('answers every error with the one ErrorDto, whose code enum is every code the service has', () => {
    const codeSchema = doc.components.schemas.ErrorDto.properties.code;
    // A $ref with a description beside it comes wrapped in allOf.
    const refs = [codeSchema.$ref, ...((codeSchema.allOf ?? []) as Array<{ $ref?: string }>).map((s) => s.$ref)];
    expect(refs).toContain('#/components/schemas/ErrorCode');
    expect(doc.components.schemas.ErrorCode.enum).toEqual([...ERROR_CODES]);
    expect(doc.components.schemas.ErrorDto.properties.statusCode.type).toBe('integer');
    expect(doc.components.schemas.ErrorDto.required).toEqual(['statusCode', 'error', 'message', 'code']);
    for (const op of ops()) {
      const errors = Object.entries(op.responses as Record<string, any>).filter(([status]) => Number(status) >= 400);
      for (const [status, response] of errors) {
        expect([op.operationId, status, response.content]).toEqual([
          op.operationId,
          status,
          { 'application/json': { schema: { $ref: '#/components/schemas/ErrorDto' } } },
        ]);
        if (status === '429' || status === '503') {
          expect([op.operationId, status, response.headers?.['Retry-After']?.schema]).toEqual([
            op.operationId,
            status,
            { type: 'integer', minimum: 0 },
          ]);
        }
      }
    }
    // Every /v1 call takes user_id (400), needs an identity (401, and 403 when user_id names someone
    // else), reads the database (500), and says so to the Swagger UI's Authorize (the bearer scheme).
    for (const [path, byMethod] of Object.entries(doc.paths).filter(([p]) => p.startsWith('/v1/'))) {
      for (const [method, op] of Object.entries(byMethod)) {
        expect([method, path, Object.keys(op.responses)]).toEqual([
          method,
          path,
          expect.arrayContaining(['400', '401', '403', '500']),
        ]);
        expect([method, path, op.security]).toEqual([method, path, [{ 'api-key': [] }]]);
        expect([method, path, op.responses['401'].description]).toEqual([
          method,
          path,
          expect.stringMatching(/^UNAUTHENTICATED/),
        ]);
        expect([method, path, op.responses['403'].description]).toEqual([
          method,
          path,
          expect.stringMatching(/USER_MISMATCH/),
        ]);
      }
    }
    expect(doc.components.securitySchemes).toEqual({
      'api-key': expect.objectContaining({ type: 'http', scheme: 'bearer' }),
      'metrics-token': expect.objectContaining({ type: 'http', scheme: 'bearer' }),
    });
  });

  it('declares counts, sizes and indexes as integers', () => {
    const numbers = [...schemasOf(doc)].filter(([, s]) => s.type === 'number').map(([where]) => where);
    expect(numbers).toEqual(NOT_INTEGERS);
    const pre = doc.components.schemas.StageSummaryCountsDto.properties;
    expect([pre.total.type, pre.success.type, pre.failed.type]).toEqual(['integer', 'integer', 'integer']);
  });

  it('declares ETag, If-None-Match and 304 on a program, Idempotency-Key on a create', () => {
    const get = doc.paths['/v1/programs/{programId}'].get;
    expect(get.parameters).toEqual(
      expect.arrayContaining([expect.objectContaining({ name: 'If-None-Match', in: 'header' })]),
    );
    expect(get.responses['200'].content['application/json'].schema).toEqual({
      $ref: '#/components/schemas/ProgramDto',
    });
    expect(get.responses['200'].headers.ETag.required).toBe(true);
    expect(get.responses['304'].headers.ETag.required).toBe(true);
    expect(get.responses['304'].content).toBeUndefined();
    const create = doc.paths['/v1/programs'].post;
    expect(create.parameters).toEqual(
      expect.arrayContaining([expect.objectContaining({ name: 'Idempotency-Key', in: 'header', required: false })]),
    );
    const metadata = doc.components.schemas.ProgramMetadataDto;
    expect(metadata.required).toEqual(
      expect.arrayContaining(['preprocessing', 'document_storage', 'retry_history', 'retry_history_total']),
    );
    expect(metadata.required).not.toContain('retry_history_truncated');
  });

  it('type-checks the client against the types of the live document', () => {
    const checked = typeCheckClient(clientAgainst(doc, join(work, 'client')));
    if (checked.status !== 0) throw new Error(`the client does not type-check:\n${checked.output}`);
  });

  it('fails that type-check when a route disappears or a count stops being a number', () => {
    const changed = structuredClone(doc);
    changed.components.schemas.StageSummaryCountsDto.properties.failed = { type: 'string' };
    delete changed.paths['/v1/programs/{programId}/retries/{retryId}'];
    const checked = typeCheckClient(clientAgainst(changed, join(work, 'changed')));
    expect(checked.status).not.toBe(0);
    expect(checked.output).toMatch(/'"getRetryRun"' does not satisfy the constraint/);
    expect(checked.output).toMatch(/Type 'string' is not assignable to type 'number'/);
  });
});
