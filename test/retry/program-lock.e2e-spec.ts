import request from 'supertest';
import { ProgramLockRepository } from '../../src/retry/lock/program-lock.repository';
import { programLockIsFree } from '../factories/db-faults';
import { putObjects, textFiles } from '../factories/s3-objects';
import { TcpProxy } from '../support/tcp-proxy';
import { finishAndCheck, startTestApp, TestApp } from '../support/test-app';
import { until } from '../support/wait';

const USER = 'lock-user';

/**
 * The program lock's connection under a hostile network (a real PostgreSQL behind a TCP proxy):
 * a reset at any moment of taking or giving back the lock never crashes the process, and a
 * heartbeat that gets no answer in time gives the lock up.
 */
describe('program lock connection faults', () => {
  let t: TestApp;
  let proxy: TcpProxy;
  let repo: ProgramLockRepository;
  let programId: string;

  beforeAll(async () => {
    t = await startTestApp();
    const files = await putObjects(t.s3, t.sourceBucket, textFiles(2, 'lock'));
    const res = await request(t.server).post('/v1/programs').query({ user_id: USER }).send({ name: 'lock', files });
    programId = res.body.program_id;
    await finishAndCheck(t, programId, USER, files);
    const direct = new URL(t.databaseUrl);
    proxy = new TcpProxy(direct.hostname, Number(direct.port || 5432));
    const proxied = new URL(t.databaseUrl);
    proxied.hostname = '127.0.0.1';
    proxied.port = String(await proxy.start());
    repo = new ProgramLockRepository({ ...t.config, databaseUrl: proxied.toString() });
  });

  afterEach(() => proxy.restore());

  afterAll(async () => {
    await repo?.onApplicationShutdown();
    await proxy?.stop();
    await t?.close();
  });

  it('survives a reset while the lock transaction begins', async () => {
    const cut = proxy.cutWhenClientSends('BEGIN');
    await expect(repo.tryAcquire(programId, 'nowait')).rejects.toThrow();
    await cut;
    expect(await programLockIsFree(t.db, programId)).toBe(true);
  });

  it('survives a reset while the row lock is being taken', async () => {
    const cut = proxy.cutWhenClientSends('FOR NO KEY UPDATE');
    await expect(repo.tryAcquire(programId, 'nowait')).rejects.toThrow();
    await cut;
    expect(await programLockIsFree(t.db, programId)).toBe(true);
  });

  it('survives a reset while the lock is given back, and the lock is free after', async () => {
    const lease = await repo.tryAcquire(programId, 'nowait');
    expect(lease).not.toBeNull();
    expect(await programLockIsFree(t.db, programId)).toBe(false);
    const cut = proxy.cutWhenClientSends('ROLLBACK');
    await lease!.release();
    await cut;
    await until(() => programLockIsFree(t.db, programId), 'the program lock to be free', 20_000);
    // The pool is still usable: the next holder gets the lock.
    const again = await repo.tryAcquire(programId, 'nowait');
    expect(again).not.toBeNull();
    await again!.release();
  });

  it('gives the lock up when a heartbeat gets no answer in time', async () => {
    const lease = await repo.tryAcquire(programId, 'nowait');
    expect(lease).not.toBeNull();
    proxy.stall();
    // Heartbeat every 5 s, deadline 5 s: lost within about 10 s, signalled to the holder.
    await new Promise<void>((resolve) => lease!.signal.addEventListener('abort', () => resolve(), { once: true }));
    expect(String(lease!.signal.reason)).toMatch(/heartbeat unanswered/);
    // The socket is closed on loss, so the server ends the session and the row is free again.
    await until(() => programLockIsFree(t.db, programId), 'the program lock to be free', 20_000);
    await lease!.release();
  }, 30_000);
});
