import { HeadBucketCommand } from '@aws-sdk/client-s3';
import { Logger } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import http, { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { ensureBucket, putObjects, textFiles } from '../factories/s3-objects';
import { finishAndCheck, startTestApp, TestApp } from '../support/test-app';

const USER = 'user-regions';
const HOME = process.env.TEST_S3_REGION ?? 'us-east-1';
const ELSEWHERE = HOME === 'eu-west-1' ? 'ap-south-1' : 'eu-west-1';

/** The region a request was signed for, from its SigV4 credential scope. */
function signedFor(req: IncomingMessage): string | undefined {
  return /Credential=[^/]+\/\d{8}\/([^/]+)\//.exec(req.headers.authorization ?? '')?.[1];
}

/** S3's own answer to a request for a bucket in another region than the one it was signed for. */
function permanentRedirect(res: ServerResponse, bucket: string, region?: string): void {
  res.writeHead(301, {
    'content-type': 'application/xml',
    ...(region ? { 'x-amz-bucket-region': region } : {}),
  });
  res.end(
    '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>PermanentRedirect</Code><Message>The bucket you are ' +
      'attempting to access must be addressed using the specified endpoint. Please send all future requests ' +
      `to this endpoint.</Message><Endpoint>${bucket}.s3.amazonaws.com</Endpoint><Bucket>${bucket}</Bucket>` +
      `<RequestId>${randomBytes(8).toString('hex').toUpperCase()}</RequestId></Error>`,
  );
}

/**
 * A real HTTP server in front of the S3-protocol server that plays S3's regions: a bucket placed in
 * a region answers PermanentRedirect (naming its region, as S3 does) to requests signed for any
 * other, and a moved bucket answers PermanentRedirect naming none, so it cannot be followed. Every
 * other request goes through unchanged.
 */
class RegionsProxy {
  readonly placed = new Map<string, string>();
  readonly moved = new Set<string>();
  /** bucket, region signed for, and what it was answered. */
  readonly seen: { bucket: string; region?: string; redirected: boolean }[] = [];
  private server?: http.Server;

  constructor(private readonly target: string) {}

  async start(): Promise<string> {
    const upstream = new URL(this.target);
    this.server = http.createServer((req, res) => this.handle(req, res, upstream));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  private handle(req: IncomingMessage, res: ServerResponse, upstream: URL): void {
    const bucket = decodeURIComponent((req.url ?? '/').split(/[/?]/)[1] ?? '');
    const region = signedFor(req);
    const home = this.placed.get(bucket);
    const redirect = this.moved.has(bucket) || (home !== undefined && region !== home);
    this.seen.push({ bucket, region, redirected: redirect });
    if (redirect) {
      req.resume();
      // Late, so that other calls are in flight meanwhile: none of them may change region.
      setTimeout(() => permanentRedirect(res, bucket, home), 20);
      return;
    }
    const out = http.request(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    out.on('error', () => {
      if (!res.headersSent) res.writeHead(502);
      res.end();
    });
    req.pipe(out);
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

describe('S3 regions: buckets elsewhere are followed, a redirect that cannot be is no retry', () => {
  let t: TestApp;
  let proxy: RegionsProxy;

  beforeAll(async () => {
    proxy = new RegionsProxy(process.env.TEST_S3_ENDPOINT!);
    const endpoint = await proxy.start();
    t = await startTestApp({ S3_ENDPOINT: endpoint, S3_REGION: HOME });
  });

  afterAll(async () => {
    await t?.close();
    await proxy?.stop();
  });

  it('reads sources in another region, fails a moved bucket SOURCE_WRONG_REGION, and signs every other call for S3_REGION', async () => {
    const far = `far-${randomBytes(4).toString('hex')}`;
    const moved = `moved-${randomBytes(4).toString('hex')}`;
    await ensureBucket(t.s3, far);
    proxy.placed.set(far, ELSEWHERE);
    proxy.moved.add(moved);

    const near = await putObjects(t.s3, t.sourceBucket, textFiles(30, 'near'));
    const away = await putObjects(t.s3, far, textFiles(30, 'far'));
    const gone = ['a.txt', 'b.md', 'c.json'].map((k) => `s3://${moved}/${k}`);
    // Interleaved, so that calls to the three buckets are in flight together.
    const files: string[] = [];
    for (let i = 0; i < 30; i++) files.push(near[i], away[i], ...(i % 10 === 5 ? [gone[(i - 5) / 10]] : []));

    const created = await request(t.server)
      .post('/v1/programs')
      .query({ user_id: USER })
      .send({ name: 'regions', files });
    expect(created.status).toBe(202);
    const program = await finishAndCheck(t, created.body.program_id as string, USER, files);

    expect(program.status).toBe('completed_with_failures');
    expect(program.metadata_json.preprocessing.summary).toEqual({ total: 63, success: 60, failed: 3 });
    expect(program.metadata_json.total_successful_documents).toBe(60);
    const failed = program.metadata_json.preprocessing.failed_files as Record<string, unknown>[];
    expect(failed.map((f) => f.file_path).sort()).toEqual([...gone].sort());
    for (const f of failed) {
      expect(f).toMatchObject({
        error_code: 'SOURCE_WRONG_REGION',
        retryable: false,
        next_retry_at: null,
        exhausted: false,
        retry_count: 0,
      });
      expect(f.error).toBe(`${f.file_path as string}: the bucket is not in region ${HOME} (S3 did not say where)`);
    }

    const calls = (bucket: string) => proxy.seen.filter((s) => s.bucket === bucket);
    // The bucket elsewhere: once its region is known, calls are signed for it and go straight there.
    const farCalls = calls(far);
    expect(farCalls.filter((s) => !s.redirected).map((s) => s.region)).toEqual(Array(30).fill(ELSEWHERE));
    expect(farCalls.filter((s) => s.redirected).length).toBeLessThan(30);
    // Redirects being followed meanwhile changed the region of no other call.
    for (const bucket of [t.sourceBucket, t.bucket]) {
      const regions = new Set(calls(bucket).map((s) => s.region));
      expect({ bucket, regions: [...regions] }).toEqual({ bucket, regions: [HOME] });
    }
    // Nothing tried again: one request per file of the moved bucket.
    expect(calls(moved)).toHaveLength(3);
  });
});

describe('S3_CREATE_BUCKET=false: the output bucket is the operator’s', () => {
  let t: TestApp;
  let errors: jest.SpyInstance;

  beforeAll(async () => {
    errors = jest.spyOn(Logger.prototype, 'error');
    t = await startTestApp({ S3_CREATE_BUCKET: 'false', S3_BUCKET: `missing-${randomBytes(4).toString('hex')}` });
  });

  afterAll(async () => {
    errors.mockRestore();
    await t?.close();
  });

  it('boots without it, answers not ready until someone creates it, then ready', async () => {
    // Boot neither created it nor failed; it said why it will not be ready.
    await expect(t.s3.send(new HeadBucketCommand({ Bucket: t.bucket }))).rejects.toMatchObject({
      $metadata: { httpStatusCode: 404 },
    });
    const logged = errors.mock.calls.map((c) => String(c[0]));
    expect(logged).toContainEqual(expect.stringContaining(`output bucket unusable: s3://${t.bucket} does not exist`));
    expect(logged).toContainEqual(expect.stringContaining('S3_CREATE_BUCKET=true'));
    expect((await request(t.server).get('/health/live')).status).toBe(200);

    const before = await request(t.server).get('/health/ready');
    expect(before.status).toBe(503);
    expect(before.body).toMatchObject({ statusCode: 503, code: 'SERVICE_UNAVAILABLE' });

    await ensureBucket(t.s3, t.bucket);
    const after = await request(t.server).get('/health/ready');
    expect(after.status).toBe(200);
    expect(after.body.info.storage).toEqual({ status: 'up', bucket: t.bucket });
  });

  it('files processed while it is missing fail STORAGE_UNAVAILABLE (retryable), not as missing sources', async () => {
    const late = `missing-${randomBytes(4).toString('hex')}`;
    const other = await startTestApp({ S3_CREATE_BUCKET: 'false', S3_BUCKET: late });
    try {
      const files = await putObjects(other.s3, other.sourceBucket, textFiles(3, 'early'));
      const created = await request(other.server)
        .post('/v1/programs')
        .query({ user_id: USER })
        .send({ name: 'early', files });
      expect(created.status).toBe(202);
      const programId = created.body.program_id as string;
      const first = await finishAndCheck(other, programId, USER, files);
      expect(first.metadata_json.preprocessing.summary).toEqual({ total: 3, success: 0, failed: 3 });
      for (const f of first.metadata_json.preprocessing.failed_files as Record<string, unknown>[]) {
        expect(f).toMatchObject({ error_code: 'STORAGE_UNAVAILABLE', retryable: true });
        expect(f.error).toMatch(/: the output bucket does not exist$/);
      }

      await ensureBucket(other.s3, late);
      const retried = await request(other.server)
        .post(`/v1/programs/${programId}/retry`)
        .query({ user_id: USER, retry_type: 'preprocessing' });
      expect(retried.status).toBe(200);
      expect(retried.body.results.preprocessing).toEqual({ retried: 3, success: 3, failed: 0 });
      const done = await finishAndCheck(other, programId, USER, files);
      expect(done.status).toBe('completed');
    } finally {
      await other.close();
    }
  });
});
