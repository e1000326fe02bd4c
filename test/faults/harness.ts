import { S3Client } from '@aws-sdk/client-s3';
import { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { ensureBucket, makeS3Client } from '../factories/s3-objects';
import { expectProgramInvariants } from '../support/invariants';
import { startS3rverProcess, stopChild } from '../support/s3rver-process';
import { freePort, ServiceProcess, startServiceProcess } from '../support/service-process';
import { TcpProxy } from '../support/tcp-proxy';
import { createTestDatabase } from '../support/test-app';
import { until } from '../support/wait';

export interface ProgramView {
  program_id: string;
  status: string;
  metadata_json: Record<string, any>;
}

/**
 * Surroundings of the service under fault: a database of its own reached through a TCP proxy that
 * can cut it, an S3 server of its own that can be stopped and started again on the same port, and
 * the built service as child processes. Everything started here is stopped by `close()`.
 */
export class FaultHarness {
  readonly bucket = `out-${randomBytes(4).toString('hex')}`;
  readonly sourceBucket = `src-${randomBytes(4).toString('hex')}`;
  readonly services: ServiceProcess[] = [];
  db!: Client;
  s3!: S3Client;
  private database!: { url: string; drop(): Promise<void> };
  private proxy!: TcpProxy;
  private proxiedUrl!: string;
  private s3Port!: number;
  private s3Dir!: string;
  private s3Child?: ChildProcess;

  static async create(): Promise<FaultHarness> {
    const h = new FaultHarness();
    h.database = await createTestDatabase();
    const direct = new URL(h.database.url);
    h.proxy = new TcpProxy(direct.hostname, Number(direct.port || 5432));
    const proxied = new URL(h.database.url);
    proxied.hostname = '127.0.0.1';
    proxied.port = String(await h.proxy.start());
    h.proxiedUrl = proxied.toString();
    h.db = new Client({ connectionString: h.database.url });
    await h.db.connect();
    h.s3Port = await freePort();
    h.s3Dir = mkdtempSync(join(tmpdir(), 'fault-s3-'));
    await h.startS3();
    h.s3 = makeS3Client({ endpoint: h.s3Endpoint, accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' });
    await ensureBucket(h.s3, h.sourceBucket);
    return h;
  }

  get s3Endpoint(): string {
    return `http://127.0.0.1:${this.s3Port}`;
  }

  async startS3(): Promise<void> {
    this.s3Child = await startS3rverProcess(this.s3Port, this.s3Dir);
  }

  async stopS3(): Promise<void> {
    if (this.s3Child) await stopChild(this.s3Child);
    this.s3Child = undefined;
  }

  cutDatabase(): void {
    this.proxy.cut();
  }

  restoreDatabase(): void {
    this.proxy.restore();
  }

  /** The built service against this harness's database (through the proxy) and S3. */
  async startService(env: Record<string, string> = {}): Promise<ServiceProcess> {
    const service = await startServiceProcess({
      DATABASE_URL: this.proxiedUrl,
      S3_ENDPOINT: this.s3Endpoint,
      S3_BUCKET: this.bucket,
      S3_CREATE_BUCKET: 'true',
      AWS_ACCESS_KEY_ID: 'S3RVER',
      AWS_SECRET_ACCESS_KEY: 'S3RVER',
      ...env,
    });
    this.services.push(service);
    return service;
  }

  async createProgram(service: ServiceProcess, user: string, files: string[]): Promise<string> {
    const res = await fetch(`${service.baseUrl}/v1/programs?user_id=${user}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'fault', files }),
    });
    if (res.status !== 202) throw new Error(`create answered ${res.status}: ${await res.text()}`);
    return ((await res.json()) as { program_id: string }).program_id;
  }

  async getProgram(service: ServiceProcess, programId: string, user: string): Promise<ProgramView> {
    const res = await fetch(`${service.baseUrl}/v1/programs/${programId}?user_id=${user}`);
    if (res.status !== 200) throw new Error(`GET program answered ${res.status}`);
    return (await res.json()) as ProgramView;
  }

  async documentCount(programId: string): Promise<number> {
    return (await this.db.query('SELECT count(*)::int AS n FROM documents WHERE program_id = $1', [programId])).rows[0]
      .n;
  }

  async waitFor(cond: () => Promise<boolean>, what: string, timeoutMs = 120_000): Promise<void> {
    // The service may be down on purpose: a failed ask is a "not yet".
    await until(() => cond().catch(() => false), what, timeoutMs, 100);
  }

  /** Every SPEC §4 invariant from the outside, plus the fault suite's own tallies. */
  async check(service: ServiceProcess, programId: string, user: string, files: string[]) {
    await expectProgramInvariants(
      { server: service.baseUrl, db: this.db, s3: this.s3, bucket: this.bucket, files },
      programId,
      user,
    );
    const program = await this.getProgram(service, programId, user);
    const m = program.metadata_json;
    const dup = await this.db.query(
      `SELECT count(*)::int AS n FROM (SELECT 1 FROM documents WHERE program_id = $1
         GROUP BY source_index HAVING count(*) > 1) d`,
      [programId],
    );
    const documents = await this.documentCount(programId);
    const failed = m.preprocessing.summary.failed + m.document_storage.summary.failed;
    return {
      files: files.length,
      documents,
      duplicates: dup.rows[0].n as number,
      failed,
      lost: files.length - documents - failed,
      program,
    };
  }

  async close(): Promise<void> {
    for (const s of this.services) await s.killGroup();
    await this.stopS3();
    await this.proxy?.stop();
    this.s3?.destroy();
    await this.db?.end();
    await this.database?.drop();
    rmSync(this.s3Dir, { recursive: true, force: true });
  }
}
