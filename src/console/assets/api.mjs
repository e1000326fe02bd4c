// The console's only way to the service: the public /v1 API, exactly as any other client uses it.

const STORAGE_KEY = 'batch-ingest.user_id';
let currentUser = '';

export function getUser() {
  return currentUser;
}

export function setUser(userId) {
  currentUser = userId;
  try {
    if (userId) localStorage.setItem(STORAGE_KEY, userId);
  } catch {
    // Storage may be off (private windows, policies): the user id still travels in the URL.
  }
}

export function rememberedUser() {
  try {
    return localStorage.getItem(STORAGE_KEY) ?? '';
  } catch {
    return '';
  }
}

/** A refusal of the API ({statusCode, code, message}), or the service not answering at all. */
export class ApiError extends Error {
  constructor(status, code, message, retryAfter) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.retryAfter = retryAfter;
  }
}

export const isAbort = (e) => e?.name === 'AbortError';

function url(path, query = {}) {
  const u = new URL(path, location.origin);
  u.searchParams.set('user_id', currentUser);
  for (const [k, v] of Object.entries(query)) {
    if (v !== undefined && v !== null && v !== '') u.searchParams.set(k, String(v));
  }
  return u;
}

/** Same-origin path and query, for links the browser follows itself (the CSV download). */
function href(path, query) {
  const u = url(path, query);
  return u.pathname + u.search;
}

async function call(path, { method = 'GET', query, body, etag, signal } = {}) {
  const headers = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (etag) headers['if-none-match'] = etag;
  let res;
  try {
    // no-store: a poller's If-None-Match must reach the service, and its 304 must reach us.
    res = await fetch(url(path, query), {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: 'no-store',
      signal,
    });
  } catch (e) {
    if (isAbort(e)) throw e;
    throw new ApiError(0, 'UNREACHABLE', 'The service did not answer. Is it running?');
  }
  if (res.status === 304) return { status: 304, etag, body: null };
  const text = await res.text();
  let json = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = null;
  }
  if (!res.ok) {
    const retryAfter = Number(res.headers.get('retry-after')) || undefined;
    throw new ApiError(
      res.status,
      json?.code ?? `HTTP_${res.status}`,
      typeof json?.message === 'string' ? json.message : res.statusText,
      retryAfter,
    );
  }
  return { status: res.status, etag: res.headers.get('etag'), body: json };
}

const program = (id) => `/v1/programs/${encodeURIComponent(id)}`;

export const api = {
  listPrograms: (query, signal) => call('/v1/programs', { query, signal }),
  getProgram: (id, etag, signal) => call(program(id), { etag, signal }),
  failures: (id, query, signal) => call(`${program(id)}/failures`, { query, signal }),
  failureCounts: (id, signal) => call(`${program(id)}/failures/counts`, { signal }),
  fileStory: (id, index, signal) => call(`${program(id)}/files/${encodeURIComponent(index)}`, { signal }),
  retry: (id, retryType, indexes) =>
    call(`${program(id)}/retry`, {
      method: 'POST',
      query: { retry_type: retryType, wait: 'false' },
      body: indexes ? { indexes } : undefined,
    }),
  retryRun: (id, retryId, signal) => call(`${program(id)}/retries/${encodeURIComponent(retryId)}`, { signal }),
  cancel: (id) => call(`${program(id)}/cancel`, { method: 'POST' }),
  exportHref: (id) => href(`${program(id)}/failures/export`, { format: 'csv' }),
};
