import { ChildProcess, spawn } from 'node:child_process';
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

export async function startServiceProcess(
  env: Record<string, string>,
  bootTimeoutMs = 60_000,
): Promise<ServiceProcess> {
  const port = 20_000 + Math.floor(Math.random() * 20_000);
  const child = spawn(process.execPath, [MAIN], {
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      PORT: String(port),
      LOG_LEVEL: 'warn',
      AWS_ACCESS_KEY_ID: process.env.TEST_S3_ACCESS_KEY_ID ?? '',
      AWS_SECRET_ACCESS_KEY: process.env.TEST_S3_SECRET_ACCESS_KEY ?? '',
      S3_ENDPOINT: process.env.TEST_S3_ENDPOINT ?? '',
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
  const baseUrl = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + bootTimeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`service exited during boot:\n${out}`);
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
