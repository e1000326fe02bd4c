import { createServer } from 'node:net';

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export function errText(err: unknown): string {
  if (err === undefined) return 'no reason given (the process exited)';
  // eslint-disable-next-line @typescript-eslint/no-base-to-string -- any thrown value, shown as best we can
  return err instanceof Error ? err.message : String(err);
}

export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export function assertPortFree(port: number, what: string): Promise<void> {
  return new Promise((ok, fail) => {
    const server = createServer();
    server.once('error', (err: NodeJS.ErrnoException) => {
      fail(
        new Error(
          `port ${port} for the ${what} of the benchmark is not free (${err.code ?? err.message}); stop whatever uses it`,
        ),
      );
    });
    server.listen(port, '127.0.0.1', () => server.close(() => ok()));
  });
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** A free TCP port picked by the kernel. */
export function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const addr = server.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      server.close(() => ok(port));
    });
  });
}

export function log(message: string): void {
  const t = new Date().toISOString().slice(11, 19);
  process.stderr.write(`[bench ${t}] ${message}\n`);
}

export const round = (n: number, digits = 1): number => {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
};

/** 12345 → "12,345". */
export const thousands = (n: number): string => Math.round(n).toLocaleString('en-US');
