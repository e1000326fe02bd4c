/**
 * A small client of the service typed only by what openapi-typescript makes of /docs-json
 * (generated/api.d.ts). It is type-checked against those types (`npm run typecheck` and the
 * contract test) and drives the live-response test, so a contract change that breaks a caller
 * (a route, a parameter, a field's type, an error code) fails here before it reaches one.
 */
import type { components, operations, paths } from './generated/api';

export type Schemas = components['schemas'];
export type ErrorBody = Schemas['ErrorDto'];
export type ErrorCode = Schemas['ErrorCode'];
export type OperationId = keyof operations;

type Responses<Op extends OperationId> = operations[Op]['responses'];
type BodyOf<R> = R extends { content: { 'application/json': infer B } }
  ? B
  : R extends { content: Record<string, infer T> }
    ? T
    : undefined;

/** One answer, narrowed by its status: `if (a.status === 200) a.body.metadata_json…`. */
export type Answer<Op extends OperationId> = {
  [S in keyof Responses<Op>]: { status: S; headers: Headers; body: BodyOf<Responses<Op>[S]> };
}[keyof Responses<Op>];

type Query<Op extends OperationId> = operations[Op]['parameters']['query'];
type PathParams<Op extends OperationId> = operations[Op]['parameters']['path'];
type JsonBody<Op extends OperationId> = operations[Op] extends {
  requestBody?: { content: { 'application/json': infer B } };
}
  ? B
  : never;

/** Routes by template: a route gone from the document is a type error here. */
type Route = keyof paths;

/** Codes worth asking again for, later (the answer carries Retry-After). */
export const RETRY_LATER: readonly ErrorCode[] = ['RETRY_CAPACITY', 'SHUTTING_DOWN', 'RETRY_INTERRUPTED'];

export function isErrorBody(body: unknown): body is ErrorBody {
  return typeof body === 'object' && body !== null && typeof (body as { code?: unknown }).code === 'string';
}

/** Reads any answer the same way: JSON when it says so, text otherwise, nothing when empty. */
export async function readAnswer(res: Response): Promise<{ status: number; headers: Headers; body: unknown }> {
  const text = await res.text();
  const json = /^application\/json\b/.test(res.headers.get('content-type') ?? '');
  return { status: res.status, headers: res.headers, body: text === '' ? undefined : json ? JSON.parse(text) : text };
}

export class IngestClient {
  constructor(
    private readonly baseUrl: string,
    /** AUTH_MODE=api-key: sent as Authorization: Bearer on every call. */
    private readonly apiKey?: string,
  ) {}

  private async call<Op extends OperationId>(
    method: 'GET' | 'POST' | 'DELETE',
    route: Route,
    params: {
      path?: Record<string, string>;
      query?: Record<string, string | number | boolean | undefined>;
      headers?: Record<string, string | undefined>;
      body?: unknown;
    } = {},
  ): Promise<Answer<Op>> {
    const path = route.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(params.path?.[name] ?? ''));
    const url = new URL(path, this.baseUrl);
    for (const [name, value] of Object.entries(params.query ?? {})) {
      if (value !== undefined) url.searchParams.set(name, String(value));
    }
    const headers = new Headers();
    if (this.apiKey) headers.set('authorization', `Bearer ${this.apiKey}`);
    for (const [name, value] of Object.entries(params.headers ?? {})) if (value !== undefined) headers.set(name, value);
    if (params.body !== undefined) headers.set('content-type', 'application/json');
    const res = await fetch(url, {
      method,
      headers,
      body: params.body === undefined ? undefined : JSON.stringify(params.body),
    });
    return (await readAnswer(res)) as Answer<Op>;
  }

  createProgram(query: Query<'createProgram'>, body: JsonBody<'createProgram'>, idempotencyKey?: string) {
    return this.call<'createProgram'>('POST', '/v1/programs', {
      query,
      body,
      headers: { 'Idempotency-Key': idempotencyKey },
    });
  }

  listPrograms(query: Query<'listPrograms'>) {
    return this.call<'listPrograms'>('GET', '/v1/programs', { query });
  }

  getProgram(path: PathParams<'getProgram'>, query: Query<'getProgram'>, ifNoneMatch?: string) {
    return this.call<'getProgram'>('GET', '/v1/programs/{programId}', {
      path,
      query,
      headers: { 'If-None-Match': ifNoneMatch },
    });
  }

  listFailures(path: PathParams<'listFailures'>, query: Query<'listFailures'>) {
    return this.call<'listFailures'>('GET', '/v1/programs/{programId}/failures', { path, query });
  }

  countFailures(path: PathParams<'countFailures'>, query: Query<'countFailures'>) {
    return this.call<'countFailures'>('GET', '/v1/programs/{programId}/failures/counts', { path, query });
  }

  exportFailures(path: PathParams<'exportFailures'>, query: Query<'exportFailures'>) {
    return this.call<'exportFailures'>('GET', '/v1/programs/{programId}/failures/export', { path, query });
  }

  getFileStory(path: PathParams<'getFileStory'>, query: Query<'getFileStory'>) {
    return this.call<'getFileStory'>('GET', '/v1/programs/{programId}/files/{index}', { path, query });
  }

  retryProgram(path: PathParams<'retryProgram'>, query: Query<'retryProgram'>, body?: JsonBody<'retryProgram'>) {
    return this.call<'retryProgram'>('POST', '/v1/programs/{programId}/retry', { path, query, body });
  }

  listRetryRuns(path: PathParams<'listRetryRuns'>, query: Query<'listRetryRuns'>) {
    return this.call<'listRetryRuns'>('GET', '/v1/programs/{programId}/retries', { path, query });
  }

  getRetryRun(path: PathParams<'getRetryRun'>, query: Query<'getRetryRun'>) {
    return this.call<'getRetryRun'>('GET', '/v1/programs/{programId}/retries/{retryId}', { path, query });
  }

  cancelProgram(path: PathParams<'cancelProgram'>, query: Query<'cancelProgram'>) {
    return this.call<'cancelProgram'>('POST', '/v1/programs/{programId}/cancel', { path, query });
  }

  listDocuments(path: PathParams<'listDocuments'>, query: Query<'listDocuments'>) {
    return this.call<'listDocuments'>('GET', '/v1/programs/{programId}/documents', { path, query });
  }

  getMe(query: Query<'getMe'>) {
    return this.call<'getMe'>('GET', '/v1/me', { query });
  }

  createApiKey(query: Query<'createApiKey'>, body: JsonBody<'createApiKey'>) {
    return this.call<'createApiKey'>('POST', '/v1/admin/keys', { query, body });
  }

  listApiKeys(query: Query<'listApiKeys'>) {
    return this.call<'listApiKeys'>('GET', '/v1/admin/keys', { query });
  }

  revokeApiKey(path: PathParams<'revokeApiKey'>, query: Query<'revokeApiKey'>) {
    return this.call<'revokeApiKey'>('DELETE', '/v1/admin/keys/{keyId}', { path, query });
  }

  live() {
    return this.call<'live'>('GET', '/health/live');
  }

  ready() {
    return this.call<'ready'>('GET', '/health/ready');
  }

  metrics() {
    return this.call<'metrics'>('GET', '/metrics');
  }
}

/**
 * What a caller typically does with a program: the typed fields it relies on, read without a cast.
 * Counts are numbers, failure records of each stage have their own fields, errors their codes.
 */
export function describeProgram(p: Schemas['ProgramDto']): string {
  const m = p.metadata_json;
  const pre: number = m.preprocessing.summary.failed;
  const doc: number = m.document_storage.summary.failed;
  const firstPre = m.preprocessing.failed_files[0];
  const firstDoc = m.document_storage.failed_files[0];
  const last = m.retry_history[m.retry_history.length - 1];
  const retried: number = last ? last.results.preprocessing.retried + last.results.document.retried : 0;
  return [
    `${p.name}: ${p.status}, ${p.total_files} files, ${pre + doc} failed`,
    firstPre ? `first preprocessing failure #${firstPre.index} ${firstPre.error_code}` : '',
    firstDoc ? `first document failure #${firstDoc.source_index} ${firstDoc.json_key}` : '',
    `${m.retry_history_total} retries${m.retry_history_truncated ? ' (some not inlined)' : ''}, last retried ${retried}`,
  ]
    .filter(Boolean)
    .join('; ');
}

/** Failure list items are told apart by `stage`: each branch sees only its own record's fields. */
export function failureIndex(item: Schemas['FailurePageDto']['items'][number]): number {
  return item.stage === 'preprocessing' ? item.index : item.source_index;
}

/** A refusal as one line, and whether asking again later may help. */
export function describeError(e: ErrorBody): { line: string; retryLater: boolean } {
  const status: number = e.statusCode;
  return { line: `${status} ${e.code}: ${e.message}`, retryLater: RETRY_LATER.includes(e.code) };
}
