/** The service's HTTP API as the CLI sees it; every failure becomes a CliError with an exit code. */
export const EXIT = { ok: 0, failure: 1, withFailures: 2, unreachable: 3 } as const;

export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

export interface ProgramView {
  program_id: string;
  name: string;
  status: string;
  total_files: number;
  created_at: string;
  metadata_json: {
    preprocessing: { summary: { total: number; success: number; failed: number } };
    document_storage: { summary: { total: number; success: number; failed: number } };
    total_successful_documents: number;
    has_partial_failure: boolean;
    retry_history: unknown[];
    /** Absent from servers that predate the inline window. */
    retry_history_total?: number;
  };
}

export class ApiClient {
  constructor(
    private readonly baseUrl: string,
    private readonly userId: string,
  ) {}

  async request<T>(
    method: string,
    path: string,
    query: Record<string, string | undefined> = {},
    body?: unknown,
  ): Promise<T> {
    const url = new URL(path, this.baseUrl);
    url.searchParams.set('user_id', this.userId);
    for (const [k, v] of Object.entries(query)) if (v !== undefined) url.searchParams.set(k, v);
    let res: Response;
    try {
      res = await fetch(url, {
        method,
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (e) {
      throw new CliError(
        `cannot reach the service at ${this.baseUrl} (${(e as { cause?: { code?: string } }).cause?.code ?? (e as Error).message}); is it running? (npm start)`,
        EXIT.unreachable,
      );
    }
    const text = await res.text();
    if (!res.ok) {
      let detail = text;
      try {
        const err = JSON.parse(text) as { code?: string; message?: string };
        detail = `${err.code ?? res.status}: ${err.message ?? ''}`;
      } catch {
        // not the service's error shape; show the raw text
      }
      throw new CliError(`${method} ${url.pathname} answered ${res.status} ${detail}`, EXIT.failure);
    }
    return JSON.parse(text) as T;
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
}
