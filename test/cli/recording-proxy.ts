import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface Exchange {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  status: number;
  /** The answer never reached the client: the proxy cut the connection instead. */
  dropped: boolean;
}

/**
 * An HTTP proxy in front of the real service: it records what the CLI sends and what the service
 * answers, and can cut the connection after the service has answered one request, which is what a
 * network blip between a client and a service looks like to the client.
 */
export class RecordingProxy {
  readonly exchanges: Exchange[] = [];
  private server?: http.Server;
  private readonly sockets = new Set<Socket>();
  private drop?: (method: string, path: string) => boolean;

  constructor(private readonly target: string) {}

  async start(): Promise<string> {
    const target = new URL(this.target);
    this.server = http.createServer((req, res) => {
      const path = new URL(req.url ?? '/', 'http://x').pathname;
      const method = req.method ?? 'GET';
      const upstream = http.request(
        { host: target.hostname, port: target.port, method, path: req.url, headers: req.headers },
        (answer) => {
          const dropped = this.drop?.(method, path) ?? false;
          if (dropped) this.drop = undefined;
          this.exchanges.push({ method, path, headers: req.headers, status: answer.statusCode ?? 0, dropped });
          if (dropped) {
            answer.resume();
            answer.on('end', () => req.socket.destroy());
            return;
          }
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      upstream.on('error', () => res.destroy());
      req.pipe(upstream);
    });
    this.server.on('connection', (s: Socket) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** The next matching request reaches the service, but the client gets a cut connection, not the answer. */
  dropAnswerOnce(match: (method: string, path: string) => boolean): void {
    this.drop = match;
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
