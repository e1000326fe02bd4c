import { ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';

/** The built service (dist/main.js) as its own process, for crash and shutdown tests. */
export interface ServiceProcess {
  child: ChildProcess;
  baseUrl: string;
  output(): string;
  exited: Promise<number | null>;
  /** SIGKILL to the service's whole process group (it runs in one of its own). */
  killGroup(): Promise<void>;
}

const MAIN = join(__dirname, '..', '..', 'dist', 'main.js');

/** A port nothing listens on now, chosen by the kernel (a random pick could hit a port in use). */
export async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

export async function startServiceProcess(
  env: Record<string, string>,
  bootTimeoutMs = 60_000,
): Promise<ServiceProcess> {
  // Between choosing a free port and the service binding it, another process (an outgoing
  // connection of a parallel suite) may take it: that one boot failure is retried on a new port.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(env, bootTimeoutMs);
    } catch (e) {
      if (attempt >= 3 || !(e instanceof PortTakenError)) throw e;
    }
  }
}

class PortTakenError extends Error {}

async function startOnce(env: Record<string, string>, bootTimeoutMs: number): Promise<ServiceProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, [MAIN], {
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      PORT: String(port),
      LOG_LEVEL: 'warn',
      AWS_ACCESS_KEY_ID: process.env.TEST_S3_ACCESS_KEY_ID ?? '',
      AWS_SECRET_ACCESS_KEY: process.env.TEST_S3_SECRET_ACCESS_KEY ?? '',
      S3_ENDPOINT: process.env.TEST_S3_ENDPOINT ?? '',
      // Against an S3 endpoint the service leaves the bucket to the operator unless asked.
      S3_CREATE_BUCKET: 'true',
      RETRY_SCHEDULER_ENABLED: 'false',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own process group, so a test can end it and anything it started in one signal.
    detached: true,
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  // After its streams are drained too: what it wrote just before exiting is in `out`.
  const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
  const baseUrl = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + bootTimeoutMs;
  for (;;) {
    if (child.exitCode !== null) {
      await closed;
      const message = `service exited during boot:\n${out}`;
      throw /EADDRINUSE/.test(out) ? new PortTakenError(message) : new Error(message);
    }
    try {
      if ((await fetch(`${baseUrl}/health/live`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      process.kill(-child.pid!, 'SIGKILL');
      throw new Error(`service did not boot in ${bootTimeoutMs} ms:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const killGroup = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      child.kill('SIGKILL');
    }
    await exited;
  };
  return { child, baseUrl, output: () => out, exited, killGroup };
}
