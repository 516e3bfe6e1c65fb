/**
 * An HTTP receiver on 127.0.0.1 for webhook tests: it records every request (body, headers) and
 * answers as the test says — a status (a fixed one, or a sequence), or never (it holds the request
 * open, as a hung receiver does). It can be stopped and started again on the same port.
 */
import http from 'node:http';
import type net from 'node:net';

export interface ReceivedRequest {
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** How to answer the nth request (0-based): a status, or 'hang'. */
export type Answer = number | 'hang' | { status: number; body?: string; headers?: Record<string, string> };

export class TestReceiver {
  readonly received: ReceivedRequest[] = [];
  /** Requests being held open ('hang'), so a test can see one is still waiting. */
  readonly hanging = new Set<http.ServerResponse>();
  private server: http.Server | null = null;
  private readonly sockets = new Set<net.Socket>();

  constructor(
    public port: number,
    public answer: (n: number, req: ReceivedRequest) => Answer = () => 200,
  ) {}

  static async start(answer?: (n: number, req: ReceivedRequest) => Answer, port = 0): Promise<TestReceiver> {
    const r = new TestReceiver(port, answer);
    await r.listen();
    return r;
  }

  async listen(): Promise<void> {
    this.server = http.createServer((req, res) => {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (d: string) => (body += d));
      req.on('end', () => {
        const r: ReceivedRequest = { path: req.url ?? '', headers: req.headers, body };
        const n = this.received.length;
        this.received.push(r);
        const a = this.answer(n, r);
        if (a === 'hang') {
          this.hanging.add(res);
          res.on('close', () => this.hanging.delete(res));
          return;
        }
        const { status, body: answerBody, headers } = typeof a === 'number' ? { status: a, body: '', headers: {} } : a;
        res.writeHead(status, { 'content-type': 'text/plain', ...headers }).end(answerBody ?? '');
      });
    });
    this.server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    await new Promise<void>((resolve, reject) => {
      this.server?.once('error', reject);
      this.server?.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.port = (this.server.address() as net.AddressInfo).port;
  }

  /** Closes the port and every connection (held requests included): "the receiver is down". */
  async stop(): Promise<void> {
    const s = this.server;
    this.server = null;
    for (const socket of this.sockets) socket.destroy();
    if (s) await new Promise<void>((r) => s.close(() => r()));
  }

  url(p = '/hook'): string {
    return `http://127.0.0.1:${this.port}${p}`;
  }

  bodies<T = unknown>(): T[] {
    return this.received.map((r) => JSON.parse(r.body) as T);
  }
}
