import http, { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * An HTTP proxy in front of the real S3-protocol server, so tests can make S3 slow or absent
 * without mocking the client: requests go over the wire to a real server, or meet a real outage.
 */
export class S3FaultProxy {
  /** GETs whose path matches are held open and never answered (a hanging source). */
  stall?: RegExp;
  /** While true, every request is answered 503 SlowDown-style (S3 unavailable). */
  unavailable = false;
  private server?: http.Server;
  private readonly held = new Set<ServerResponse>();

  constructor(private readonly target: string) {}

  async start(): Promise<string> {
    const upstream = new URL(this.target);
    this.server = http.createServer((req, res) => this.handle(req, res, upstream));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  private handle(req: IncomingMessage, res: ServerResponse, upstream: URL): void {
    if (this.unavailable) {
      req.resume();
      res.writeHead(503, { 'content-type': 'application/xml' });
      res.end('<?xml version="1.0"?><Error><Code>ServiceUnavailable</Code><Message>test outage</Message></Error>');
      return;
    }
    if (req.method === 'GET' && this.stall?.test(req.url ?? '')) {
      this.held.add(res);
      res.on('close', () => this.held.delete(res));
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
    for (const res of this.held) res.destroy();
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
