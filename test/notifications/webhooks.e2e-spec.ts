import { EventBus } from '@nestjs/cqrs';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, IncomingHttpHeaders, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { ProgramSettledEvent } from '../../src/events/catalogue';
import { WebhookNotifier } from '../../src/notifications/webhook-notifier.service';
import { putObjects, textFiles } from '../factories/s3-objects';
import { Client } from 'pg';
import { WEBHOOK_TIMEOUT_MS } from '../../src/notifications/webhook-sender';
import { createTestDatabase, finishAndCheck, startTestApp, TestApp } from '../support/test-app';
import { eventually, until } from '../support/wait';

const USER = 'webhook-user';
const SECRET = 'whsec-test-secret';
// The receiver's answer to a refused try: it must never end up in the stored last_error.
const REFUSAL_BODY = 'receiver-private-diagnostics';

interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  raw: Buffer;
  body: Record<string, any>;
  /** When it arrived (ms since the epoch). */
  arrivedAt: number;
}

/**
 * A webhook receiver on 127.0.0.1. Each path answers the statuses queued for it, in order, then
 * `fallback` (200 unless set), and every request is kept as it arrived.
 */
class Receiver {
  readonly received: Received[] = [];
  private readonly plans = new Map<string, { queue: number[]; fallback: number }>();
  // Paths whose answers wait until released, and the answers waiting.
  private readonly holding = new Set<string>();
  private parked: (() => void)[] = [];
  private server!: Server;
  private port = 0;

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const raw = Buffer.concat(chunks);
        const path = req.url ?? '';
        this.received.push({
          path,
          headers: req.headers,
          raw,
          body: JSON.parse(raw.toString('utf8')),
          arrivedAt: Date.now(),
        });
        const plan = this.plans.get(path);
        const status = plan?.queue.shift() ?? plan?.fallback ?? 200;
        const answer = () => {
          res.writeHead(status, { 'content-type': 'text/plain' });
          res.end(status < 300 ? 'ok' : REFUSAL_BODY);
        };
        if (this.holding.has(path)) this.parked.push(answer);
        else answer();
      });
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  url(path: string): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  answer(path: string, queue: number[], fallback = 200): void {
    this.plans.set(path, { queue: [...queue], fallback });
  }

  /** Requests to `path` get no answer until `release`. */
  hold(path: string): void {
    this.holding.add(path);
  }

  get waiting(): number {
    return this.parked.length;
  }

  release(path: string): void {
    this.holding.delete(path);
    const parked = this.parked;
    this.parked = [];
    for (const answer of parked) answer();
  }

  at(path: string): Received[] {
    return this.received.filter((r) => r.path === path);
  }
}

function verifySignature(r: Received): boolean {
  const header = String(r.headers['x-signature'] ?? '');
  const expected = `sha256=${createHmac('sha256', SECRET).update(r.raw).digest('hex')}`;
  return header.length === expected.length && timingSafeEqual(Buffer.from(header), Buffer.from(expected));
}

describe('webhook notifications', () => {
  let t: TestApp;
  const receiver = new Receiver();

  beforeAll(async () => {
    await receiver.start();
    t = await startTestApp({
      WEBHOOK_ALLOWED_HOSTS: '127.0.0.1',
      WEBHOOK_SECRET: SECRET,
      WEBHOOK_RETRY_BASE_MS: '50',
    });
  });

  afterAll(async () => {
    await t?.close();
    await receiver.stop();
  });

  const create = async (name: string, files: string[], webhookPath: string) => {
    const res = await request(t.server)
      .post('/v1/programs')
      .query({ user_id: USER })
      .send({ name, files, webhook_url: receiver.url(webhookPath) });
    expect(res.status).toBe(202);
    return res.body.program_id as string;
  };

  const deliveryRow = async (eventId: string) => {
    const { rows } = await t.db.query('SELECT * FROM webhook_deliveries WHERE event_id = $1', [eventId]);
    return rows[0] as Record<string, any> | undefined;
  };

  const program = async (programId: string) =>
    (await request(t.server).get(`/v1/programs/${programId}`).query({ user_id: USER })).body;

  it('POSTs program.settled, signed, with the program status and summaries, once per event', async () => {
    const specs = textFiles(4, 'settled');
    // One source is missing: the program settles with failures, and the summary says so.
    const files = await putObjects(t.s3, t.sourceBucket, specs.slice(0, 3));
    files.push(`s3://${t.sourceBucket}/${specs[3].key}`);
    const programId = await create('settled', files, '/settled');
    const settled = await finishAndCheck(t, programId, USER, files);
    expect(settled.status).toBe('completed_with_failures');

    const [hook] = await eventually(() => {
      const got = receiver.at('/settled');
      return got.length > 0 ? got : undefined;
    }, 'program.settled delivery');
    expect(hook.headers['content-type']).toBe('application/json');
    expect(hook.headers['x-event-id']).toBe(`evt_settled_${programId}`);
    expect(verifySignature(hook)).toBe(true);
    expect(hook.body).toEqual({
      event_id: `evt_settled_${programId}`,
      event: 'program.settled',
      program_id: programId,
      status: 'completed_with_failures',
      summary: {
        preprocessing: settled.metadata_json.preprocessing.summary,
        document_storage: settled.metadata_json.document_storage.summary,
      },
    });
    expect(hook.body.summary.preprocessing).toEqual({ total: 4, success: 3, failed: 1 });

    const row = await eventually(async () => {
      const r = await deliveryRow(`evt_settled_${programId}`);
      return r?.status === 'delivered' ? r : undefined;
    }, 'the delivery to be recorded');
    expect(row).toMatchObject({ event: 'program.settled', attempts: 1, last_error: null, program_id: programId });
    expect(row.delivered_at).toBeInstanceOf(Date);
    expect(row.body).toBe(hook.raw.toString('utf8'));

    // The same fact again (a replayed event): no second row, no second delivery.
    t.app.get(EventBus).publish(new ProgramSettledEvent(programId, 'completed_with_failures', 1));
    await t.app.get(WebhookNotifier).flushed();
    const { rows } = await t.db.query('SELECT count(*)::int AS n FROM webhook_deliveries WHERE program_id = $1', [
      programId,
    ]);
    expect(rows[0].n).toBe(1);
    expect(await deliveryRow(`evt_settled_${programId}`)).toMatchObject({ status: 'delivered', attempts: 1 });
    expect(receiver.at('/settled')).toHaveLength(1);
  });

  it('POSTs retry.finished after a manual retry, with retry_id and the run results', async () => {
    const specs = textFiles(3, 'retried');
    const files = await putObjects(t.s3, t.sourceBucket, specs.slice(0, 2));
    files.push(`s3://${t.sourceBucket}/${specs[2].key}`);
    const programId = await create('retried', files, '/retried');
    await finishAndCheck(t, programId, USER, files);

    await putObjects(t.s3, t.sourceBucket, [specs[2]]);
    const retry = await request(t.server)
      .post(`/v1/programs/${programId}/retry`)
      .query({ user_id: USER, retry_type: 'all' });
    expect(retry.status).toBe(200);
    expect(retry.body.results.preprocessing).toEqual({ retried: 1, success: 1, failed: 0 });
    const after = await program(programId);
    expect(after.status).toBe('completed');

    // Both facts go out on their own loop, so their order at the receiver is not promised.
    await until(() => receiver.at('/retried').length >= 2, 'both deliveries');
    expect(
      receiver
        .at('/retried')
        .map((r) => r.body.event)
        .sort(),
    ).toEqual(['program.settled', 'retry.finished']);
    const hook = receiver.at('/retried').find((r) => r.body.event === 'retry.finished')!;
    const { rows } = await t.db.query('SELECT id::text AS id FROM retry_runs WHERE program_id = $1', [programId]);
    expect(rows).toHaveLength(1);
    const runId = rows[0].id as string;
    expect(verifySignature(hook)).toBe(true);
    expect(hook.headers['x-event-id']).toBe(`evt_retry_${runId}`);
    expect(hook.body).toEqual({
      event_id: `evt_retry_${runId}`,
      event: 'retry.finished',
      program_id: programId,
      status: 'completed',
      summary: {
        preprocessing: after.metadata_json.preprocessing.summary,
        document_storage: after.metadata_json.document_storage.summary,
      },
      retry_id: runId,
      results: retry.body.results,
    });
  });

  it('redelivers after refused tries with backoff: the third try lands, with the same event_id each time', async () => {
    receiver.answer('/flaky', [500, 500]);
    const files = await putObjects(t.s3, t.sourceBucket, textFiles(2, 'flaky'));
    const programId = await create('flaky', files, '/flaky');
    await finishAndCheck(t, programId, USER, files);

    const eventId = `evt_settled_${programId}`;
    const row = await eventually(async () => {
      const r = await deliveryRow(eventId);
      return r?.status === 'delivered' ? r : undefined;
    }, 'the delivery to land');
    expect(row.attempts).toBe(3);
    expect(row.last_error).toBeNull();
    const tries = receiver.at('/flaky');
    expect(tries).toHaveLength(3);
    expect(tries.map((r) => r.headers['x-event-id'])).toEqual([eventId, eventId, eventId]);
    // The stored body goes out byte for byte each time, so the signature is the same too.
    expect(new Set(tries.map((r) => r.raw.toString('utf8'))).size).toBe(1);
    expect(tries.every(verifySignature)).toBe(true);
  });

  it('refuses a webhook_url outside the allow-list at create time and creates nothing', async () => {
    const user = 'webhook-refused-user';
    const res = await request(t.server)
      .post('/v1/programs')
      .query({ user_id: user })
      .send({ name: 'refused', files: [`s3://${t.sourceBucket}/any.txt`], webhook_url: 'https://example.com/hook' });
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('WEBHOOK_NOT_ALLOWED');
    const { rows } = await t.db.query('SELECT count(*)::int AS n FROM programs WHERE user_id = $1', [user]);
    expect(rows[0].n).toBe(0);
  });

  it('gives up after five refused tries, keeping only the status in last_error', async () => {
    receiver.answer('/down', [], 500);
    const files = await putObjects(t.s3, t.sourceBucket, textFiles(1, 'down'));
    const programId = await create('down', files, '/down');
    await finishAndCheck(t, programId, USER, files);

    const eventId = `evt_settled_${programId}`;
    const row = await eventually(async () => {
      const r = await deliveryRow(eventId);
      return r?.status === 'failed' ? r : undefined;
    }, 'the delivery to fail');
    expect(row.attempts).toBe(5);
    expect(row.delivered_at).toBeNull();
    expect(row.last_error).toBe('HTTP 500 Internal Server Error');
    expect(row.last_error).not.toContain(REFUSAL_BODY);
    const tries = receiver.at('/down');
    expect(tries).toHaveLength(5);
    expect(new Set(tries.map((r) => r.headers['x-event-id']))).toEqual(new Set([eventId]));
    // Backoff: a try is due base·2^(n−1) after the n-th was refused (WEBHOOK_RETRY_BASE_MS = 50).
    const gaps = tries.slice(1).map((r, i) => r.arrivedAt - tries[i].arrivedAt);
    gaps.forEach((gap, i) => expect(gap).toBeGreaterThanOrEqual(50 * 2 ** i));
  });

  it('checks the allow-list again at send time and fails a row whose host is no longer allowed', async () => {
    const files = await putObjects(t.s3, t.sourceBucket, textFiles(1, 'moved'));
    const res = await request(t.server).post('/v1/programs').query({ user_id: USER }).send({ name: 'moved', files });
    expect(res.status).toBe(202);
    const programId = res.body.program_id as string;
    await finishAndCheck(t, programId, USER, files);
    // A row written while the host was allowed, by an earlier configuration.
    await t.db.query(
      `INSERT INTO webhook_deliveries (event_id, program_id, event, url, body)
       VALUES ($1, $2, 'program.settled', 'http://no-longer-allowed.example/hook', '{}')`,
      [`evt_moved_${programId}`, programId],
    );
    const row = await eventually(async () => {
      const r = await deliveryRow(`evt_moved_${programId}`);
      return r?.status === 'failed' ? r : undefined;
    }, 'the row to be given up');
    expect(row).toMatchObject({ attempts: 0, last_error: 'host not in WEBHOOK_ALLOWED_HOSTS' });
  });

  it('counts deliveries, redeliveries and give-ups in GET /metrics', async () => {
    const res = await request(t.server).get('/metrics');
    expect(res.status).toBe(200);
    const value = (labels: string) => {
      const line = res.text.split('\n').find((l) => l.startsWith(`ingest_webhook_deliveries_total{${labels}} `));
      return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
    };
    // settled ×3 delivered (first test, the retried program, the flaky one); the retry run's one.
    expect(value('event="program.settled",outcome="delivered"')).toBe(3);
    expect(value('event="retry.finished",outcome="delivered"')).toBe(1);
    // Two refused tries of the flaky receiver, four of the one that is down.
    expect(value('event="program.settled",outcome="retry"')).toBe(6);
    // The one out of tries and the one whose host is no longer allowed.
    expect(value('event="program.settled",outcome="failed"')).toBe(2);
  });

  it('hands a try cut short by a shutdown back untried, for any replica to send at once', async () => {
    // A database of its own: this app is the only sender, so the try in flight is certainly its.
    const db = await createTestDatabase();
    const alone = await startTestApp(
      { WEBHOOK_ALLOWED_HOSTS: '127.0.0.1', WEBHOOK_SECRET: SECRET, WEBHOOK_RETRY_BASE_MS: '50' },
      { database: db.url },
    );
    let closed = false;
    receiver.hold('/handoff');
    try {
      const files = await putObjects(alone.s3, alone.sourceBucket, textFiles(1, 'handoff'));
      const res = await request(alone.server)
        .post('/v1/programs')
        .query({ user_id: USER })
        .send({ name: 'handoff', files, webhook_url: receiver.url('/handoff') });
      const programId = res.body.program_id as string;
      await finishAndCheck(alone, programId, USER, files);
      await until(() => receiver.waiting >= 1, 'the try to reach the receiver');

      const started = Date.now();
      await alone.close();
      closed = true;
      expect(Date.now() - started).toBeLessThan(WEBHOOK_TIMEOUT_MS);
      const c = new Client({ connectionString: db.url });
      await c.connect();
      try {
        const { rows } = await c.query(
          `SELECT status, attempts, last_error, next_attempt_at <= now() AS due FROM webhook_deliveries
           WHERE event_id = $1`,
          [`evt_settled_${programId}`],
        );
        expect(rows).toEqual([{ status: 'pending', attempts: 0, last_error: null, due: true }]);
      } finally {
        await c.end();
      }
    } finally {
      receiver.release('/handoff');
      if (!closed) await alone.close();
      await db.drop();
    }
  });

  it('sends each row once while two replicas share the outbox', async () => {
    const second = await startTestApp(
      { WEBHOOK_ALLOWED_HOSTS: '127.0.0.1', WEBHOOK_SECRET: SECRET, WEBHOOK_RETRY_BASE_MS: '50' },
      { database: t.databaseUrl },
    );
    try {
      const files = await putObjects(t.s3, t.sourceBucket, textFiles(1, 'shared'));
      const res = await request(t.server).post('/v1/programs').query({ user_id: USER }).send({ name: 'shared', files });
      const programId = res.body.program_id as string;
      await finishAndCheck(t, programId, USER, files);
      const ids = Array.from({ length: 40 }, (_, i) => `evt_shared_${programId}_${i}`);
      receiver.hold('/shared');
      await t.db.query(
        `INSERT INTO webhook_deliveries (event_id, program_id, event, url, body)
         SELECT id, $2, 'program.settled', $3, json_build_object('event_id', id)::text FROM unnest($1::text[]) id`,
        [ids, programId, receiver.url('/shared')],
      );
      // One replica has at most 8 tries in flight: more requests waiting at once means both are
      // sending, each its own rows.
      await until(() => receiver.waiting > 8, 'both replicas to be sending');
      receiver.release('/shared');
      await until(async () => {
        const { rows } = await t.db.query(
          `SELECT count(*)::int AS n FROM webhook_deliveries WHERE program_id = $1 AND status = 'delivered'`,
          [programId],
        );
        return rows[0].n === ids.length;
      }, 'every shared row to be delivered');
      const got = receiver.at('/shared').map((r) => r.headers['x-event-id']);
      expect(got.sort()).toEqual([...ids].sort());
    } finally {
      await second.close();
    }
  });
});
