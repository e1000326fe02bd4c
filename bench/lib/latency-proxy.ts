/**
 * A TCP proxy in front of the benchmark's S3 server that makes it look like a remote S3: every
 * chunk the server sends back reaches the client a fixed `delayMs` (20 ms by default) after it left
 * the server, in order. Requests go through at once, so each request/response round trip costs
 * the delay once — a GET's first byte, a PUT's answer — as a real S3 round trip would; chunks
 * that follow keep their spacing (the delay is added to each one, not accumulated). Loopback only.
 */
import { createServer, isIP, Server, Socket } from 'node:net';

export interface LatencyProxyOptions {
  /** The server behind the proxy (loopback only). */
  targetHost: string;
  targetPort: number;
  /** Added to every server → client chunk. */
  delayMs?: number;
  /** Upstream bytes queued for one client before the upstream is paused (backpressure). */
  highWaterBytes?: number;
}

export interface LatencyProxyStats {
  delayMs: number;
  connections: number;
  /**
   * Request/response exchanges, counted as client → server bytes that follow an answer (or open a
   * connection): one per HTTP request on keep-alive connections.
   */
  roundTrips: number;
  /** Server → client chunks delayed. */
  chunks: number;
  bytesToClient: number;
  bytesToServer: number;
  /** The most connections open at once. */
  peakOpen: number;
  /** Latest a chunk was written after its due time (event-loop lag: a busy machine), ms. */
  maxLateMs: number;
  /** Sum over chunks of how late each was written, ms (÷ chunks: the mean lateness). */
  totalLateMs: number;
}

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

function assertLoopback(host: string): void {
  if (!LOOPBACK.has(host) && !(isIP(host) === 4 && host.startsWith('127.'))) {
    throw new Error(`the latency proxy only forwards to loopback addresses, not ${host}`);
  }
}

interface Pending {
  due: number;
  chunk: Buffer;
}

/** One client connection and its upstream: the upstream's chunks are held back `delayMs` each. */
class ProxiedConnection {
  private readonly queue: Pending[] = [];
  private head = 0;
  private queuedBytes = 0;
  private timer?: NodeJS.Timeout;
  /** The upstream ended: end the client once the queue is written. */
  private upstreamEnded = false;
  private closed = false;
  /** The client sent something the server has not answered yet. */
  private asking = false;

  constructor(
    private readonly client: Socket,
    private readonly upstream: Socket,
    private readonly proxy: LatencyProxy,
    private readonly delayMs: number,
    private readonly highWaterBytes: number,
  ) {
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    // Client → server: at once (a request's bytes are not delayed), with backpressure.
    client.on('data', (chunk: Buffer) => {
      if (!this.asking) {
        this.asking = true;
        proxy.stats.roundTrips++;
      }
      proxy.stats.bytesToServer += chunk.length;
      if (!upstream.write(chunk)) client.pause();
    });
    upstream.on('drain', () => client.resume());
    client.on('end', () => upstream.end());
    // Server → client: each chunk due `delayMs` after it arrived.
    upstream.on('data', (chunk: Buffer) => this.enqueue(chunk));
    upstream.on('end', () => {
      this.upstreamEnded = true;
      this.schedule();
    });
    client.on('drain', () => {
      if (this.queuedBytes <= this.highWaterBytes) upstream.resume();
    });
    const fail = () => this.close();
    client.on('error', fail);
    upstream.on('error', fail);
    client.on('close', fail);
    // The server closed (without an error): what it sent still reaches the client, late, then the
    // client is ended — not destroyed, which could drop bytes still in its write buffer.
    upstream.on('close', () => {
      if (this.upstreamEnded) return;
      this.upstreamEnded = true;
      this.schedule();
    });
  }

  private enqueue(chunk: Buffer): void {
    if (this.closed) return;
    this.asking = false;
    this.proxy.stats.chunks++;
    this.proxy.stats.bytesToClient += chunk.length;
    this.queue.push({ due: performance.now() + this.delayMs, chunk });
    this.queuedBytes += chunk.length;
    if (this.queuedBytes > this.highWaterBytes) this.upstream.pause();
    this.schedule();
  }

  /** One timer per connection, for the oldest chunk (dues only grow: the delay is fixed). */
  private schedule(): void {
    if (this.closed || this.timer) return;
    if (this.head < this.queue.length) {
      const wait = Math.max(0, this.queue[this.head].due - performance.now());
      this.timer = setTimeout(() => this.flush(), wait);
    } else if (this.upstreamEnded) {
      this.client.end();
    }
  }

  /** Writes every chunk that is due (at most what was queued when called), then waits for the next. */
  private flush(): void {
    this.timer = undefined;
    if (this.closed) return;
    const now = performance.now();
    const end = this.queue.length;
    let clientFull = false;
    while (this.head < end && this.queue[this.head].due <= now + 0.5) {
      const { due, chunk } = this.queue[this.head];
      this.head++;
      this.queuedBytes -= chunk.length;
      const late = Math.max(0, now - due);
      this.proxy.stats.maxLateMs = Math.max(this.proxy.stats.maxLateMs, late);
      this.proxy.stats.totalLateMs += late;
      if (!this.client.write(chunk)) clientFull = true;
    }
    if (this.head === this.queue.length) {
      this.queue.length = 0;
      this.head = 0;
    } else if (this.head > 1024) {
      this.queue.splice(0, this.head);
      this.head = 0;
    }
    // The upstream stays paused while the client cannot take more or too much is still queued.
    if (!clientFull && this.queuedBytes <= this.highWaterBytes) this.upstream.resume();
    this.schedule();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.queue.length = 0;
    this.head = 0;
    this.queuedBytes = 0;
    this.client.destroy();
    this.upstream.destroy();
    this.proxy.forget(this);
  }
}

export class LatencyProxy {
  readonly stats: LatencyProxyStats;
  private readonly server: Server;
  private readonly open = new Set<ProxiedConnection>();
  private stopping?: Promise<void>;

  private constructor(
    private readonly target: { host: string; port: number },
    private readonly delayMs: number,
    private readonly highWaterBytes: number,
  ) {
    this.stats = {
      delayMs,
      connections: 0,
      roundTrips: 0,
      chunks: 0,
      bytesToClient: 0,
      bytesToServer: 0,
      peakOpen: 0,
      maxLateMs: 0,
      totalLateMs: 0,
    };
    // Half-open allowed on both sides: a client's FIN must not cut the (delayed) answer short; the
    // proxy ends each side itself once the other side ended and everything queued was written.
    this.server = createServer({ noDelay: true, allowHalfOpen: true }, (client) => this.accept(client));
  }

  static async start(opts: LatencyProxyOptions): Promise<LatencyProxy> {
    assertLoopback(opts.targetHost);
    const delayMs = opts.delayMs ?? 20;
    if (!Number.isFinite(delayMs) || delayMs < 0 || delayMs > 10_000) throw new Error(`bad proxy delay ${delayMs}`);
    const proxy = new LatencyProxy(
      { host: opts.targetHost, port: opts.targetPort },
      delayMs,
      opts.highWaterBytes ?? 1024 * 1024,
    );
    await new Promise<void>((ok, fail) => {
      proxy.server.once('error', fail);
      proxy.server.listen(0, '127.0.0.1', () => {
        proxy.server.off('error', fail);
        ok();
      });
    });
    proxy.server.on('error', () => undefined);
    return proxy;
  }

  get port(): number {
    const addr = this.server.address();
    return typeof addr === 'object' && addr ? addr.port : 0;
  }

  /** http://127.0.0.1:<port>: what a client uses instead of the server's own endpoint. */
  get endpoint(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  private accept(client: Socket): void {
    if (this.stopping) {
      client.destroy();
      return;
    }
    const upstream = new Socket({ allowHalfOpen: true });
    const conn = new ProxiedConnection(client, upstream, this, this.delayMs, this.highWaterBytes);
    this.open.add(conn);
    this.stats.connections++;
    this.stats.peakOpen = Math.max(this.stats.peakOpen, this.open.size);
    upstream.connect(this.target.port, this.target.host);
  }

  /** @internal a connection that closed. */
  forget(conn: ProxiedConnection): void {
    this.open.delete(conn);
  }

  /** Stops listening and cuts every open connection (their queued chunks are dropped). */
  stop(): Promise<void> {
    this.stopping ??= new Promise<void>((done) => {
      this.server.close(() => done());
      for (const c of [...this.open]) c.close();
    });
    return this.stopping;
  }
}
