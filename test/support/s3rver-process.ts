import { ChildProcess, spawn } from 'node:child_process';
import { makeS3rverPutsAtomic } from '../../src/infra/s3rver-atomic-puts';

const STARTUP_TIMEOUT_MS = 60_000;

function errText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * s3rver runs in a child Node process of its own:
 *  - with `--openssl-legacy-provider`, since s3rver's listing continuation tokens use DES,
 *    which Node 20's OpenSSL refuses otherwise (listings of more than 1,000 keys answer 500);
 *  - off the event loop of jest's main process (which runs tests itself with --runInBand);
 *  - with its PUTs made atomic, as S3's are (see makeS3rverPutsAtomic);
 *  - it exits by itself when its stdin closes, i.e. when this process dies without teardown.
 */
const S3RVER_CHILD = `
const S3rver = require(process.env.__S3RVER_MODULE);
(${makeS3rverPutsAtomic.toString()})(require(process.env.__S3RVER_STORE_MODULE));
const server = new S3rver({
  port: Number(process.env.__S3RVER_PORT), address: '127.0.0.1',
  directory: process.env.__S3RVER_DIR, silent: true,
});
let closing = false;
function shutdown(code) {
  if (closing) return;
  closing = true;
  setTimeout(() => process.exit(code), 3000).unref();
  Promise.resolve().then(() => server.close()).catch(() => undefined).then(() => process.exit(code));
}
process.on('SIGTERM', () => shutdown(0));
process.on('SIGINT', () => shutdown(0));
process.stdin.on('end', () => shutdown(0));
process.stdin.on('error', () => shutdown(0));
process.stdin.resume();
server.run().then(
  (addr) => process.stdout.write('S3RVER_READY ' + JSON.stringify(addr) + '\\n'),
  (err) => { process.stderr.write(String((err && err.stack) || err) + '\\n'); process.exit(1); },
);
`;

export function startS3rverProcess(port: number, dataDir: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--openssl-legacy-provider', '-e', S3RVER_CHILD], {
    env: {
      ...process.env,
      __S3RVER_MODULE: require.resolve('s3rver'),
      __S3RVER_STORE_MODULE: require.resolve('s3rver/lib/stores/filesystem'),
      __S3RVER_PORT: String(port),
      __S3RVER_DIR: dataDir,
    },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let output = '';
  const collect = (chunk: Buffer): void => {
    output = (output + chunk.toString('utf8')).slice(-8000);
  };
  child.stderr?.on('data', collect);

  return new Promise<ChildProcess>((resolveStart, rejectStart) => {
    let settled = false;
    const fail = (why: string): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      rejectStart(new Error(`embedded S3 (s3rver) did not start on port ${port}: ${why}\n${output}`));
    };
    const timer = setTimeout(() => fail('timed out'), STARTUP_TIMEOUT_MS);
    child.on('error', (err) => fail(errText(err)));
    child.on('exit', (code, signal) => fail(`exited (code ${code}, signal ${signal})`));
    child.stdout?.on('data', (chunk: Buffer) => {
      collect(chunk);
      if (!settled && output.includes('S3RVER_READY')) {
        settled = true;
        clearTimeout(timer);
        resolveStart(child);
      }
    });
  });
}

export function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise<void>((done) => {
    const killer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    child.once('exit', () => {
      clearTimeout(killer);
      done();
    });
    child.kill('SIGTERM');
  });
}
