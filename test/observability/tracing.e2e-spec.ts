import { randomBytes } from 'node:crypto';
import { createServer, Server } from 'node:http';
import { ensureBucket, makeS3Client, putObjects, textFiles } from '../factories/s3-objects';
import { freePort, ServiceProcess, startServiceProcess } from '../support/service-process';
import { createTestDatabase } from '../support/test-app';
import { until } from '../support/wait';

interface Span {
  name: string;
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  attributes?: { key: string; value: { stringValue?: string; intValue?: string | number } }[];
}

/** A real OTLP/HTTP (JSON) trace receiver: what a collector would get. */
async function otlpReceiver(): Promise<{ server: Server; url: string; spans: Span[] }> {
  const spans: Span[] = [];
  const server = createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (d: Buffer) => parts.push(d));
    req.on('end', () => {
      if (req.url === '/v1/traces') {
        const body = JSON.parse(Buffer.concat(parts).toString('utf8')) as {
          resourceSpans: { scopeSpans: { spans: Span[] }[] }[];
        };
        for (const rs of body.resourceSpans) for (const ss of rs.scopeSpans) spans.push(...ss.spans);
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  const port = await freePort();
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  return { server, url: `http://127.0.0.1:${port}`, spans };
}

describe('traces over OTLP', () => {
  const USER = 'trace-user';
  const s3 = makeS3Client();
  const bucket = `out-${randomBytes(4).toString('hex')}`;
  const sourceBucket = `src-${randomBytes(4).toString('hex')}`;
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let receiver: Awaited<ReturnType<typeof otlpReceiver>>;
  let service: ServiceProcess | undefined;

  beforeAll(async () => {
    db = await createTestDatabase();
    receiver = await otlpReceiver();
    await ensureBucket(s3, sourceBucket);
  });

  afterAll(async () => {
    await service?.killGroup();
    await new Promise<void>((r) => receiver.server.close(() => r()));
    await db.drop();
    s3.destroy();
  });

  it('traces a program: the HTTP call, each file stage with its S3 calls and SQL, trace ids in the logs', async () => {
    const files = await putObjects(s3, sourceBucket, textFiles(3, 'traced'));
    service = await startServiceProcess({
      DATABASE_URL: db.url,
      S3_BUCKET: bucket,
      S3_CREATE_BUCKET: 'true',
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_BSP_SCHEDULE_DELAY: '100',
      LOG_LEVEL: 'log',
      LOG_FORMAT: 'json',
    });
    const res = await fetch(`${service.baseUrl}/v1/programs?user_id=${USER}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'traced', files }),
    });
    expect(res.status).toBe(202);
    const { program_id: programId } = (await res.json()) as { program_id: string };
    await until(async () => {
      const p = (await (await fetch(`${service!.baseUrl}/v1/programs/${programId}?user_id=${USER}`)).json()) as {
        status: string;
      };
      return p.status === 'completed';
    }, 'the program to complete');

    const named = (prefix: string) => receiver.spans.filter((s) => s.name.startsWith(prefix));
    await until(() => named('file.document').length >= 3, 'the Document stage spans');
    const stages = named('file.preprocessing');
    expect(stages).toHaveLength(3);
    const indexes = stages
      .map((s) => s.attributes?.find((a) => a.key === 'ingest.source_index')?.value.intValue)
      .map(Number)
      .sort();
    expect(indexes).toEqual([0, 1, 2]);
    // The stage's own I/O hangs beneath it: the S3 read of the source and the SQL of the Document.
    const children = (parents: Span[]) =>
      receiver.spans.filter((s) => parents.some((p) => p.spanId === s.parentSpanId && p.traceId === s.traceId));
    expect(children(stages).some((s) => /S3\.GetObject|GetObject/.test(s.name))).toBe(true);
    const documentIo = receiver.spans.filter((s) => /^pg\.|^pg-pool/.test(s.name));
    expect(documentIo.length).toBeGreaterThan(0);
    // The create call itself, as a server span.
    expect(receiver.spans.some((s) => /^POST/.test(s.name))).toBe(true);
    // Probes are not traced.
    expect(receiver.spans.some((s) => s.name.includes('/health'))).toBe(false);

    // A log line written while serving a traced request carries its trace id.
    const traced = service
      .output()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { trace_id?: string })
      .filter((l) => l.trace_id);
    expect(traced.length).toBeGreaterThan(0);
    expect(receiver.spans.map((s) => s.traceId)).toEqual(expect.arrayContaining([traced[0].trace_id]));
  });
});
