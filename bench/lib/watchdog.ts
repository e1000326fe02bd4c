import { ChildProcess, spawn } from 'node:child_process';

/**
 * A tiny child process that outlives the benchmark only to clean up after it: it reads
 * "add <pid> <signal> <group?>" / "del <pid>" lines on stdin, and when stdin closes (the
 * benchmark exited, however it died — even SIGKILL) it signals every pid still registered.
 * Normal teardown stops each server itself first and then ends the watchdog.
 */
const WATCHDOG_CHILD = `
const targets = new Map();
let buf = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (d) => {
  buf += d;
  let i;
  while ((i = buf.indexOf('\\n')) >= 0) {
    const [op, pid, signal, group] = buf.slice(0, i).trim().split(' ');
    buf = buf.slice(i + 1);
    if (op === 'add') targets.set(Number(pid), { signal, group: group === 'group' });
    if (op === 'del') targets.delete(Number(pid));
  }
});
function fire() {
  for (const [pid, t] of targets) {
    try { process.kill(t.group ? -pid : pid, t.signal); } catch (e) { /* gone */ }
  }
  process.exit(0);
}
process.stdin.on('end', fire);
process.stdin.on('error', fire);
process.on('SIGTERM', () => process.exit(0));
process.on('SIGINT', () => undefined);
`;

export class Watchdog {
  private readonly child: ChildProcess;

  constructor() {
    this.child = spawn(process.execPath, ['-e', WATCHDOG_CHILD], { stdio: ['pipe', 'ignore', 'ignore'] });
    this.child.on('error', () => undefined);
    this.child.stdin?.on('error', () => undefined);
  }

  add(pid: number | undefined, signal: NodeJS.Signals, group = false): void {
    if (!pid) return;
    this.child.stdin?.write(`add ${pid} ${signal}${group ? ' group' : ''}\n`);
  }

  remove(pid: number | undefined): void {
    if (!pid) return;
    this.child.stdin?.write(`del ${pid}\n`);
  }

  /** Ends the watchdog without it signalling anything. */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    await new Promise<void>((done) => {
      this.child.once('exit', () => done());
      this.child.kill('SIGTERM');
    });
  }
}
