import net from 'node:net';

/**
 * A TCP proxy in front of PostgreSQL: `cut()` drops every open connection and refuses new ones
 * until `restore()`, which is what a database outage or a network partition looks like to the app.
 * `cutWhenClientSends(text)` drops the one connection that sends `text` (a statement) at that exact
 * moment, before the server sees it; `stall()` keeps connections open but forwards nothing more, as
 * a hung server or a silent network does.
 */
export class TcpProxy {
  private server?: net.Server;
  private readonly sockets = new Set<net.Socket>();
  private refusing = false;
  private stalled = false;
  private cutOn?: Buffer;
  private cutSeen?: () => void;

  constructor(
    private readonly targetHost: string,
    private readonly targetPort: number,
  ) {}

  async start(): Promise<number> {
    this.server = net.createServer((client) => {
      if (this.refusing) {
        client.destroy();
        return;
      }
      const upstream = net.connect(this.targetPort, this.targetHost);
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => undefined); // a cut is the point; the peer sees it as a reset
      }
      this.forward(client, upstream, true);
      this.forward(upstream, client, false);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return (this.server.address() as net.AddressInfo).port;
  }

  private forward(from: net.Socket, to: net.Socket, fromClient: boolean): void {
    from.on('data', (chunk: Buffer) => {
      if (this.stalled) return;
      if (fromClient && this.cutOn && chunk.includes(this.cutOn)) {
        this.cutOn = undefined;
        from.destroy();
        to.destroy();
        this.cutSeen?.();
        return;
      }
      if (!to.write(chunk)) {
        from.pause();
        to.once('drain', () => from.resume());
      }
    });
  }

  /** Resolves when a connection that sent `text` has been dropped. */
  cutWhenClientSends(text: string): Promise<void> {
    this.cutOn = Buffer.from(text);
    return new Promise((resolve) => (this.cutSeen = resolve));
  }

  stall(): void {
    this.stalled = true;
  }

  cut(): void {
    this.refusing = true;
    for (const s of this.sockets) s.destroy();
  }

  restore(): void {
    this.refusing = false;
    this.stalled = false;
  }

  async stop(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
