/** The service's HTTP API as the CLI sees it; every failure becomes a CliError with an exit code. */
export const EXIT = { ok: 0, failure: 1, notCompleted: 2, unreachable: 3, stillRunning: 4 } as const;

export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
    /** The service's error code when it refused, else one of the CLI's own (UNREACHABLE, TIMEOUT…). */
    readonly code = 'ERROR',
  ) {
    super(message);
  }
}

export type TransportFailure = 'timeout' | 'network';

// undici's own deadlines (300 s by default) end a slow answer as a "fetch failed" TypeError too; a
// --timeout above them must still read as slow, not as a service that is not there.
const UNDICI_TIMEOUTS = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

const causeCode = (e: unknown): string | undefined => (e as { cause?: { code?: unknown } }).cause?.code as string;
const causeMessage = (e: unknown): string | undefined =>
  (e as { cause?: { message?: unknown } }).cause?.message as string;

/**
 * What kind of failure a rejected fetch (or body read) was: the answer did not come in time, or the
 * connection could not be made or was lost. Only the second means the service is unreachable.
 */
export function transportFailure(e: unknown): TransportFailure {
  const name = (e as { name?: unknown })?.name;
  if (name === 'TimeoutError') return 'timeout';
  const code = causeCode(e);
  if (code !== undefined && UNDICI_TIMEOUTS.has(code)) return 'timeout';
  return 'network';
}

export type Conditional<T> = { changed: false } | { changed: true; body: T; etag?: string };

interface Answer {
  status: number;
  headers: Headers;
  text: string;
}

/**
 * Who the CLI calls as: `userId` is sent as the seed's user_id query parameter (the identity with
 * AUTH_MODE=none, a check otherwise), `apiKey` as `Authorization: Bearer` (AUTH_MODE=api-key).
 */
export interface Credentials {
  userId?: string;
  apiKey?: string;
}

export class ApiClient {
  constructor(
    private readonly baseUrl: string,
    private readonly credentials: Credentials,
    /** Deadline of each request, body included. */
    private readonly timeoutMs = 30_000,
    /** Pause before the one repeat of a create that met a network error. */
    private readonly createRetryDelayMs = 1_000,
  ) {}

  /** A DELETE (or any call) whose success has no body. */
  async requestEmpty(method: string, path: string): Promise<void> {
    const url = this.url(path, {});
    const res = await this.send(method, url, undefined, {});
    if (res.status < 200 || res.status > 299) throw this.refusal(method, url, res);
  }

  async request<T>(
    method: string,
    path: string,
    query: Record<string, string | undefined> = {},
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<T> {
    const url = this.url(path, query);
    const res = await this.send(method, url, body, headers);
    if (res.status < 200 || res.status > 299) throw this.refusal(method, url, res);
    return JSON.parse(res.text) as T;
  }

  /** A GET that sends the ETag of the previous answer: an unchanged resource costs a 304 and no body. */
  async getIfChanged<T>(path: string, etag?: string): Promise<Conditional<T>> {
    const url = this.url(path, {});
    const res = await this.send('GET', url, undefined, etag ? { 'if-none-match': etag } : {});
    if (res.status === 304) return { changed: false };
    if (res.status < 200 || res.status > 299) throw this.refusal('GET', url, res);
    return { changed: true, body: JSON.parse(res.text) as T, etag: res.headers.get('etag') ?? undefined };
  }

  /**
   * POST /v1/programs under an Idempotency-Key. A connection lost before the answer leaves the
   * create's outcome unknown; sent again with the same key, the service answers with the program
   * the first one made (or makes it), so the repeat never creates a second program.
   */
  async createProgram<T>(body: unknown, idempotencyKey: string): Promise<T> {
    const create = () => this.request<T>('POST', '/v1/programs', {}, body, { 'idempotency-key': idempotencyKey });
    try {
      try {
        return await create();
      } catch (e) {
        if (!(e instanceof CliError) || e.code !== 'UNREACHABLE') throw e;
        await new Promise((r) => setTimeout(r, this.createRetryDelayMs));
        return await create();
      }
    } catch (e) {
      if (e instanceof CliError && (e.code === 'UNREACHABLE' || e.code === 'TIMEOUT'))
        throw new CliError(
          `${e.message}\nThe program may have been created: run the same command with --idempotency-key ${idempotencyKey} ` +
            'to get it without making another.',
          e.exitCode,
          e.code,
        );
      throw e;
    }
  }

  /** Follows next_cursor to the end. */
  async all<T>(path: string, query: Record<string, string | undefined> = {}): Promise<T[]> {
    const items: T[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.request<{ items: T[]; next_cursor: string | null }>('GET', path, {
        ...query,
        limit: '1000',
        cursor,
      });
      items.push(...page.items);
      cursor = page.next_cursor ?? undefined;
    } while (cursor);
    return items;
  }

  private url(path: string, query: Record<string, string | undefined>): URL {
    const url = new URL(path, this.baseUrl);
    if (this.credentials.userId !== undefined) url.searchParams.set('user_id', this.credentials.userId);
    for (const [k, v] of Object.entries(query)) if (v !== undefined) url.searchParams.set(k, v);
    return url;
  }

  private async send(method: string, url: URL, body: unknown, headers: Record<string, string>): Promise<Answer> {
    // One deadline for the whole exchange: a service that sends headers and then stalls is as slow
    // as one that sends nothing.
    const signal = AbortSignal.timeout(this.timeoutMs);
    try {
      const all: Record<string, string> = { ...headers };
      if (this.credentials.apiKey) all.authorization = `Bearer ${this.credentials.apiKey}`;
      if (body !== undefined) all['content-type'] = 'application/json';
      const res = await fetch(url, {
        method,
        headers: all,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal,
      });
      return { status: res.status, headers: res.headers, text: await res.text() };
    } catch (e) {
      if (transportFailure(e) === 'timeout')
        throw new CliError(
          `${method} ${url.pathname}: no answer from the service at ${this.baseUrl} within ${this.timeoutMs / 1000} s ` +
            '(--timeout); it is reachable but slow, and may still be working on the request',
          EXIT.failure,
          'TIMEOUT',
        );
      throw new CliError(
        `cannot reach the service at ${this.baseUrl} (${causeCode(e) ?? causeMessage(e) ?? (e as Error).message}); is it running? (npm start)`,
        EXIT.unreachable,
        'UNREACHABLE',
      );
    }
  }

  private refusal(method: string, url: URL, res: Answer): CliError {
    let detail = res.text;
    let code = `HTTP_${res.status}`;
    try {
      const err = JSON.parse(res.text) as { code?: string; message?: string | string[] };
      if (err.code) code = err.code;
      detail = `${err.code ?? res.status}: ${[err.message ?? ''].flat().join('; ')}`;
    } catch {
      // not the service's error shape; show the raw text
    }
    return new CliError(`${method} ${url.pathname} answered ${res.status} ${detail}`, EXIT.failure, code);
  }
}
