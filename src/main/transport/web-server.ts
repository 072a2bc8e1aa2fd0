import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage } from 'node:http';
import { isIP } from 'node:net';
import type { Duplex } from 'node:stream';
import { RPCHandler } from '@orpc/server/ws';
import { WebSocketServer, type ServerOptions } from 'ws';
import type { AppServices } from '../app.ts';
import { createClientInterceptor, type RpcContext } from '../rpc/handler-options.ts';
import { createRouter } from '../rpc/router.ts';
import { isOwnHost, isOwnOrigin, requireLoopback, singleHost } from './host-policy.ts';
import { staticFileHandler } from './static-files.ts';
import { attachPeer } from './ws-peer.ts';

export interface WebServerOptions {
  services: AppServices;
  staticDir: string;
  /** A loopback address; anything else is refused (see host-policy.ts). */
  host?: string;
  port?: number;
  token?: string;
}

export interface WebServer {
  url: string;
  port: number;
  host: string;
  token: string;
  close(): Promise<void>;
}

export const RPC_PATH = '/rpc';
export const MAX_MESSAGE_BYTES = 16 * 1024 * 1024;
/** A client that pings faster than it reads our pongs is cut off here (ws's option; its types lag behind). */
export const MAX_PENDING_PONGS = 60;

const STATUS_TEXT: Record<number, string> = { 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found' };

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function reject(socket: Duplex, status: number, code: string, message: string) {
  const body = JSON.stringify({ code, message });
  socket.end(`HTTP/1.1 ${status} ${STATUS_TEXT[status]}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
}

function parseTarget(target: string | undefined): URL | null {
  try {
    return new URL(target ?? '/', 'http://local');
  } catch {
    return null;
  }
}

/**
 * Web mode: the renderer served over HTTP and the API over a WebSocket, on loopback only.
 * Every WebSocket must present the random token and, when a browser sends one, the Origin of the page it
 * asked for; the Host header must name loopback (DNS-rebinding defence, see host-policy.ts).
 */
export async function startWebServer(opts: WebServerOptions): Promise<WebServer> {
  const host = opts.host ?? '127.0.0.1';
  requireLoopback(host);
  const token = opts.token ?? randomBytes(32).toString('base64url');
  const router = createRouter(opts.services);
  const interceptor = createClientInterceptor(opts.services, (ctx) => (ctx as RpcContext).actor);
  const handler = new RPCHandler<RpcContext>(router, {
    clientInterceptors: [interceptor as never],
  });
  const server = createServer(staticFileHandler(opts.staticDir, (value) => isOwnHost(value, host)));
  const wssOptions: ServerOptions & { maxPendingAutoPongs: number } = { noServer: true, maxPayload: MAX_MESSAGE_BYTES, maxPendingAutoPongs: MAX_PENDING_PONGS };
  const wss = new WebSocketServer(wssOptions);

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    // Node removes its own socket error handler before 'upgrade'; a reset while we answer must not be fatal.
    socket.on('error', () => socket.destroy());
    const url = parseTarget(req.url);
    if (!url) return reject(socket, 400, 'INPUT_INVALID', 'request target: expected a path such as /rpc');
    if (url.pathname !== RPC_PATH) return reject(socket, 404, 'NOT_FOUND', 'unknown path');
    const hostHeader = singleHost(req);
    if (hostHeader === null) return reject(socket, 400, 'INPUT_INVALID', 'Host: expected exactly one Host header');
    if (!isOwnHost(hostHeader, host)) return reject(socket, 403, 'FORBIDDEN_ORIGIN', `Host header "${hostHeader}" is not this server`);
    const origin = req.headers.origin;
    if (origin !== undefined && !isOwnOrigin(origin, hostHeader)) {
      return reject(socket, 403, 'FORBIDDEN_ORIGIN', `Origin "${origin}" is not allowed`);
    }
    if (!safeEqual(url.searchParams.get('token') ?? '', token)) return reject(socket, 401, 'UNAUTHORIZED', 'missing or wrong token');
    const actor = `web:${req.socket.remoteAddress ?? '?'}`;
    wss.handleUpgrade(req, socket, head, (ws) => attachPeer(ws, (facade) => handler.upgrade(facade, { context: { actor } })));
  });

  await new Promise<void>((resolveListen, rejectListen) => {
    server.once('error', rejectListen);
    server.listen(opts.port ?? 0, host, () => {
      server.off('error', rejectListen);
      resolveListen();
    });
  });
  // After listen, an accept failure (EMFILE under a connection flood) is reported; the server keeps listening.
  server.on('error', (e) => process.stderr.write(`openpanel web: ${e.message}\n`));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const urlHost = isIP(host) === 6 ? `[${host}]` : host;
  return {
    url: `http://${urlHost}:${port}/#token=${token}`,
    port,
    host,
    token,
    async close() {
      for (const c of wss.clients) c.terminate();
      wss.close();
      await new Promise<void>((r) => server.close(() => r()));
      server.closeAllConnections();
    },
  };
}
