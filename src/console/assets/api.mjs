// The console's only way to the service: the public /v1 API, exactly as any other client uses it.

const STORAGE_KEY = 'batch-ingest.user_id';
// The API key lives in sessionStorage: it is gone with the tab, and never reaches the address bar,
// a link, or another tab's history.
const KEY_STORAGE = 'batch-ingest.api_key';
let currentUser = '';
let apiKey = readKey();
/** How the service identifies callers (GET /v1/me's auth_mode); null until asked, or when it refused. */
let mode = null;
let admin = false;

export function getUser() {
  return currentUser;
}

/** With AUTH_MODE=none the console picks the user; otherwise the service says who it is. */
export function setUser(userId) {
  currentUser = userId;
  try {
    if (userId && mode === 'none') localStorage.setItem(STORAGE_KEY, userId);
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

export const authMode = () => mode;
export const isAdmin = () => admin;
export const hasKey = () => apiKey !== '';

function readKey() {
  try {
    return sessionStorage.getItem(KEY_STORAGE) ?? '';
  } catch {
    return '';
  }
}

/** Keeps an API key for this tab's session (AUTH_MODE=api-key): every call sends it as Bearer. */
export function useKey(key) {
  apiKey = key;
  try {
    if (key) sessionStorage.setItem(KEY_STORAGE, key);
    else sessionStorage.removeItem(KEY_STORAGE);
  } catch {
    // No storage: the key lasts as long as the page.
  }
}

/**
 * Asks the service who this is (GET /v1/me) and how it identifies callers. A refusal (401: no key,
 * or one that stopped working) is thrown as an ApiError with `bearer` set when the service wants
 * an API key, and not when a gateway in front was to say who this is.
 */
export async function identify() {
  try {
    const me = (await call('/v1/me')).body;
    mode = me.auth_mode;
    admin = me.admin === true;
    if (mode !== 'none') currentUser = me.user_id;
    return me;
  } catch (e) {
    admin = false;
    if (e.status === 401) mode = e.bearer ? 'api-key' : 'trusted-header';
    if (mode !== 'none') currentUser = '';
    throw e;
  }
}

/** A refusal of the API ({statusCode, code, message}), or the service not answering at all. */
export class ApiError extends Error {
  constructor(status, code, message, retryAfter, bearer = false) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.retryAfter = retryAfter;
    /** A 401 asking for an API key (WWW-Authenticate: Bearer). */
    this.bearer = bearer;
  }
}

export const isAbort = (e) => e?.name === 'AbortError';

function url(path, query = {}) {
  const u = new URL(path, location.origin);
  // The seed's user_id is the identity only with AUTH_MODE=none; otherwise the key or the gateway is.
  if (mode === 'none' && currentUser) u.searchParams.set('user_id', currentUser);
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
  if (apiKey) headers.authorization = `Bearer ${apiKey}`;
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
    const bearer = /^Bearer\b/i.test(res.headers.get('www-authenticate') ?? '');
    const err = new ApiError(
      res.status,
      json?.code ?? `HTTP_${res.status}`,
      typeof json?.message === 'string' ? json.message : res.statusText,
      retryAfter,
      bearer,
    );
    // A key revoked while the page is open: the app asks for another one.
    if (res.status === 401 && path !== '/v1/me') window.dispatchEvent(new CustomEvent('auth-lost', { detail: err }));
    throw err;
  }
  return { status: res.status, etag: res.headers.get('etag'), body: json };
}

const program = (id) => `/v1/programs/${encodeURIComponent(id)}`;

/**
 * Downloads through fetch, with the key: a link the browser follows itself cannot carry an
 * Authorization header. The file is held in memory once, then saved under `filename`.
 */
async function download(path, query, filename) {
  const headers = apiKey ? { authorization: `Bearer ${apiKey}` } : {};
  const res = await fetch(url(path, query), { headers, cache: 'no-store' });
  if (!res.ok) {
    let json = null;
    try {
      json = await res.json();
    } catch {
      json = null;
    }
    throw new ApiError(res.status, json?.code ?? `HTTP_${res.status}`, json?.message ?? res.statusText);
  }
  const blobUrl = URL.createObjectURL(await res.blob());
  const a = document.createElement('a');
  a.href = blobUrl;
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(blobUrl), 60_000);
}

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
  /** Whether a plain link reaches the API: not when every call must carry the key. */
  linksNeedKey: () => apiKey !== '',
  exportCsv: (id, filename) => download(`${program(id)}/failures/export`, { format: 'csv' }, filename),
};
