import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { isIP } from 'node:net';
import { extname, join, normalize, resolve, sep } from 'node:path';
import type { Duplex } from 'node:stream';
import { RPCHandler } from '@orpc/server/ws';
import { WebSocketServer, type WebSocket } from 'ws';
import type { AppServices } from '../app.ts';
import { createClientInterceptor, type RpcContext } from '../rpc/handler-options.ts';
import { createRouter } from '../rpc/router.ts';
import { AppError } from '../services/core/errors.ts';
import { isWellFormedPeerMessage } from './message-guard.ts';
import { contentSecurityPolicy } from './csp.ts';

export interface WebServerOptions {
  services: AppServices;
  staticDir: string;
  host?: string;
  port?: number;
  token?: string;
  /** Binding anything but loopback must be asked for explicitly. */
  allowRemote?: boolean;
}

export interface WebServer {
  url: string;
  port: number;
  host: string;
  token: string;
  close(): Promise<void>;
}

export const WS_CLOSE_MALFORMED = 4400;
export const RPC_PATH = '/rpc';

export function isLoopback(host: string): boolean {
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  if (isIP(host) === 6) return host === '::1';
  return false;
}

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
  '.json': 'application/json',
  '.ico': 'image/x-icon',
};

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * Web mode: the renderer served over HTTP and the API over a WebSocket, both on loopback by default.
 * Every WebSocket must present the random token and, when a browser sends one, an Origin of this server;
 * the Host header must name this server (DNS-rebinding defence).
 */
export async function startWebServer(opts: WebServerOptions): Promise<WebServer> {
  const host = opts.host ?? '127.0.0.1';
  if (!isLoopback(host) && !opts.allowRemote) {
    throw new AppError('INPUT_INVALID', `host: refusing to listen on non-loopback address "${host}"; pass --allow-remote to expose OpenPanel on the network`);
  }
  const token = opts.token ?? randomBytes(32).toString('base64url');
  const staticRoot = resolve(opts.staticDir);
  const router = createRouter(opts.services);
  const interceptor = createClientInterceptor(opts.services, (ctx) => (ctx as RpcContext).actor);
  const handler = new RPCHandler<RpcContext>(router, {
    clientInterceptors: [interceptor as never],
  });
  let port = 0;
  const allowedHosts = () => {
    const names = new Set([`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`]);
    names.add(`${isIP(host) === 6 ? `[${host}]` : host}:${port}`);
    return names;
  };

  const server = createServer((req, res) => serveStatic(req, res));
  const wss = new WebSocketServer({ noServer: true, maxPayload: 16 * 1024 * 1024 });

  function reject(socket: Duplex, status: number, code: string, message: string) {
    const body = JSON.stringify({ code, message });
    socket.end(`HTTP/1.1 ${status} ${status === 401 ? 'Unauthorized' : status === 403 ? 'Forbidden' : 'Bad Request'}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
  }

  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'http://local');
    if (url.pathname !== RPC_PATH) return reject(socket, 400, 'NOT_FOUND', 'unknown path');
    if (!allowedHosts().has(req.headers.host ?? '')) return reject(socket, 403, 'FORBIDDEN_ORIGIN', `Host header "${req.headers.host ?? ''}" is not this server`);
    const origin = req.headers.origin;
    if (origin !== undefined && !allowedHosts().has(origin.replace(/^http:\/\//, ''))) {
      return reject(socket, 403, 'FORBIDDEN_ORIGIN', `Origin "${origin}" is not allowed`);
    }
    const given = url.searchParams.get('token') ?? '';
    if (!safeEqual(given, token)) return reject(socket, 401, 'UNAUTHORIZED', 'missing or wrong token');
    wss.handleUpgrade(req, socket, head, (ws) => attach(ws, req));
  });

  function attach(ws: WebSocket, req: IncomingMessage) {
    const messageListeners: ((ev: { data: unknown }) => void)[] = [];
    const closeListeners: (() => void)[] = [];
    ws.on('message', (data, isBinary) => {
      const raw = isBinary ? new Uint8Array(Buffer.isBuffer(data) ? data : Buffer.concat(data as Buffer[])) : data.toString();
      if (!isWellFormedPeerMessage(raw)) {
        ws.close(WS_CLOSE_MALFORMED, 'MALFORMED_MESSAGE');
        return;
      }
      for (const l of messageListeners) l({ data: raw });
    });
    ws.on('close', () => closeListeners.forEach((l) => l()));
    // oRPC's adapter sees a WebSocket whose frames were already checked.
    const facade = {
      send: (data: string | Uint8Array) => {
        if (ws.readyState === ws.OPEN) ws.send(data);
      },
      addEventListener: (type: string, fn: (ev: { data: unknown }) => void) => {
        if (type === 'message') messageListeners.push(fn);
        if (type === 'close') closeListeners.push(fn as () => void);
      },
    };
    void handler.upgrade(facade as never, { context: { actor: `web:${req.socket.remoteAddress ?? '?'}` } });
  }

  function serveStatic(req: IncomingMessage, res: ServerResponse) {
    if (!allowedHosts().has(req.headers.host ?? '')) {
      res.writeHead(403, { 'content-type': 'text/plain' }).end('Host not allowed');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405).end();
      return;
    }
    const pathname = decodeURIComponent(new URL(req.url ?? '/', 'http://local').pathname);
    let file = normalize(join(staticRoot, pathname));
    if (file !== staticRoot && !file.startsWith(staticRoot + sep)) {
      res.writeHead(403).end();
      return;
    }
    if (!existsSync(file) || statSync(file).isDirectory()) file = join(staticRoot, 'index.html');
    if (!existsSync(file)) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('renderer not built: run the setup script');
      return;
    }
    res.writeHead(200, {
      'content-type': MIME[extname(file)] ?? 'application/octet-stream',
      'content-security-policy': contentSecurityPolicy({ connect: [`ws://${req.headers.host ?? ''}`] }),
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
      'cache-control': extname(file) === '.html' ? 'no-store' : 'public, max-age=3600',
    });
    if (req.method === 'HEAD') res.end();
    else createReadStream(file).pipe(res);
  }

  await new Promise<void>((resolveListen, rejectListen) => {
    server.once('error', rejectListen);
    server.listen(opts.port ?? 0, host, () => resolveListen());
  });
  const address = server.address();
  port = typeof address === 'object' && address ? address.port : 0;
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
