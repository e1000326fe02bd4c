/** The service's HTTP API, as a client sees it. */
import { sleep } from './util';

export const USER = 'bench';
const FINAL = new Set(['completed', 'completed_with_failures']);

export type Json = Record<string, any>;

async function call(
  method: string,
  url: string,
  body?: unknown,
): Promise<{ status: number; json: Json; bytes: number }> {
  const res = await fetch(url, {
    method,
    headers: body === undefined ? undefined : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let json: Json = {};
  try {
    json = text ? (JSON.parse(text) as Json) : {};
  } catch {
    json = { raw: text.slice(0, 500) };
  }
  return { status: res.status, json, bytes: Buffer.byteLength(text) };
}

export async function createProgram(baseUrl: string, name: string, files: readonly string[]): Promise<string> {
  const r = await call('POST', `${baseUrl}/v1/programs?user_id=${USER}`, { name, files });
  if (r.status !== 202)
    throw new Error(`POST /v1/programs answered ${r.status}: ${JSON.stringify(r.json).slice(0, 500)}`);
  return r.json.program_id as string;
}

export async function getProgram(baseUrl: string, id: string): Promise<{ program: Json; bytes: number }> {
  const r = await call('GET', `${baseUrl}/v1/programs/${id}?user_id=${USER}`);
  if (r.status !== 200)
    throw new Error(`GET /v1/programs/${id} answered ${r.status}: ${JSON.stringify(r.json).slice(0, 500)}`);
  return { program: r.json, bytes: r.bytes };
}

export interface Finished {
  program: Json;
  polls: number;
  responseBytes: number;
}

/** Polls GET /v1/programs/{id} every `intervalMs` until the status is final. */
export async function waitFinished(
  baseUrl: string,
  id: string,
  opts: { intervalMs: number; timeoutMs: number; isAlive?: () => boolean; onProgress?: (p: Json) => void },
): Promise<Finished> {
  const deadline = Date.now() + opts.timeoutMs;
  let polls = 0;
  let nextProgress = Date.now() + 10_000;
  for (;;) {
    const tick = Date.now();
    const { program, bytes } = await getProgram(baseUrl, id);
    polls++;
    if (FINAL.has(program.status)) return { program, polls, responseBytes: bytes };
    if (opts.onProgress && Date.now() > nextProgress) {
      nextProgress = Date.now() + 10_000;
      opts.onProgress(program);
    }
    if (opts.isAlive && !opts.isAlive())
      throw new Error(`the service exited while program ${id} was ${program.status}`);
    if (Date.now() > deadline) {
      throw new Error(
        `program ${id} still ${program.status} after ${opts.timeoutMs} ms: ${JSON.stringify(program.metadata_json?.preprocessing?.summary)}`,
      );
    }
    await sleep(Math.max(0, opts.intervalMs - (Date.now() - tick)));
  }
}

export async function retryProgram(baseUrl: string, id: string, retryType: string): Promise<Json> {
  const r = await call('POST', `${baseUrl}/v1/programs/${id}/retry?user_id=${USER}&retry_type=${retryType}`);
  if (r.status !== 200)
    throw new Error(`POST /v1/programs/${id}/retry answered ${r.status}: ${JSON.stringify(r.json).slice(0, 500)}`);
  return r.json;
}

/** The first few failure records, to explain an unexpected failure. */
export async function someFailures(baseUrl: string, id: string): Promise<string[]> {
  const r = await call('GET', `${baseUrl}/v1/programs/${id}/failures?user_id=${USER}&limit=5`);
  if (r.status !== 200) return [`failures answered ${r.status}`];
  return ((r.json.items ?? []) as Json[]).map(
    (f) => `${f.stage} #${f.index ?? f.source_index}: ${f.error_code} ${String(f.error).slice(0, 160)}`,
  );
}

export function summaryOf(program: Json): string {
  const m = program.metadata_json ?? {};
  const pre = m.preprocessing?.summary ?? {};
  const doc = m.document_storage?.summary ?? {};
  return `${program.status}: preprocessing ${pre.success}/${pre.total} ok (${pre.failed} failed), documents ${doc.success}/${doc.total} ok (${doc.failed} failed)`;
}
