import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * Protocol doubles: small HTTP servers on 127.0.0.1 that speak an AI provider's wire protocol, so the real client
 * libraries can be tested without any network. They answer from a script and record every request (with its raw
 * body) so tests can assert on exactly what a client sent.
 */
export type Reply =
  /** A streamed answer: each token is one protocol chunk, `delayMs` apart. */
  | { kind: 'stream'; tokens: string[]; delayMs?: number }
  /** An HTTP error with the provider's error body; `retryAfter` sets the Retry-After header. */
  | { kind: 'error'; status: number; message?: string; retryAfter?: string }
  /** Accepts the request and never answers (a stalled upstream). */
  | { kind: 'hang' };

export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: string;
  /** The client closed the connection before the response ended (cancellation, timeout). */
  aborted: boolean;
  /** Chunks written before it ended or was aborted. */
  chunksSent: number;
}

export interface ProtocolDouble {
  url: string;
  port: number;
  requests: RecordedRequest[];
  /** Replies for the next chat requests, in order; when empty, `fallback` answers. */
  queue: Reply[];
  fallback: Reply;
  /** Recorded chat (generation) requests only. */
  chats(): RecordedRequest[];
  close(): Promise<void>;
}

export interface Route {
  match(method: string, path: string): boolean;
  /** Chat routes take a reply from the script; others answer directly. */
  chat?: boolean;
  handle(ctx: { req: IncomingMessage; res: ServerResponse; rec: RecordedRequest; reply: Reply; path: string; body: string }): Promise<void> | void;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Writes stream chunks `delayMs` apart; stops as soon as the client went away. Bounded by the token count. */
export async function writeChunks(res: ServerResponse, rec: RecordedRequest, chunks: string[], delayMs: number): Promise<void> {
  for (const chunk of chunks) {
    if (rec.aborted || res.destroyed) return;
    res.write(chunk);
    rec.chunksSent++;
    if (delayMs > 0) await sleep(delayMs);
  }
}

/** `port`: listen on this loopback port (default: any free one). */
export async function startDouble(routes: Route[], fallback: Reply, port = 0): Promise<ProtocolDouble> {
  const requests: RecordedRequest[] = [];
  const chatPaths = new WeakSet<RecordedRequest>();
  const hanging = new Set<ServerResponse>();
  const double: ProtocolDouble = {
    url: '',
    port: 0,
    requests,
    queue: [],
    fallback,
    chats: () => requests.filter((r) => chatPaths.has(r)),
    close: () =>
      new Promise((resolve) => {
        for (const res of hanging) res.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const rec: RecordedRequest = { method: req.method ?? 'GET', path: `${url.pathname}${url.search}`, headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), aborted: false, chunksSent: 0 };
      requests.push(rec);
      res.on('close', () => {
        hanging.delete(res);
        if (!res.writableFinished) rec.aborted = true;
      });
      const route = routes.find((r) => r.match(rec.method, url.pathname));
      if (!route) {
        res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: `no route ${rec.method} ${url.pathname}` }));
        return;
      }
      const reply = route.chat ? (double.queue.shift() ?? double.fallback) : double.fallback;
      if (route.chat) chatPaths.add(rec);
      if (route.chat && reply.kind === 'hang') {
        hanging.add(res);
        return;
      }
      void Promise.resolve(route.handle({ req, res, rec, reply, path: url.pathname, body: rec.body })).catch(() => res.destroy());
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  double.port = (server.address() as AddressInfo).port;
  double.url = `http://127.0.0.1:${double.port}`;
  return double;
}
