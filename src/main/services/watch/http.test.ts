import { createServer, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isAppError } from '../core/errors.ts';
import { watchHttp, type ForwardingConnection } from './http.ts';

// The SSH channel stands in as a loopback TCP socket: forwardOut's contract is "a duplex to host:port".
const loopback = (seen: { host: string; port: number }[]): ForwardingConnection => ({
  forwardOut: (host, port) =>
    new Promise((resolve, reject) => {
      seen.push({ host, port });
      const s = connect({ host, port }, () => resolve(s));
      s.once('error', reject);
    }),
});

let server: Server;
let port: number;
beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (b: Buffer) => (body += b.toString()));
    req.on('end', () => {
      if (req.url?.startsWith('/slow')) return; // never answers
      if (req.url?.startsWith('/missing')) {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('no such page');
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ method: req.method, url: req.url, body, type: req.headers['content-type'] ?? null }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe('watchHttp', () => {
  it('sends JSON and encodes the query, through a channel to 127.0.0.1:<port>', async () => {
    const seen: { host: string; port: number }[] = [];
    const res = await watchHttp(loopback(seen), port, { method: 'POST', path: '/api/v1/query', query: { query: 'up{job="node"} == 0 & x', skip: undefined }, body: { a: 1 } });
    expect(seen).toEqual([{ host: '127.0.0.1', port }]);
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ method: 'POST', url: `/api/v1/query?query=${encodeURIComponent('up{job="node"} == 0 & x').replace(/%20/g, '+')}`, body: '{"a":1}', type: 'application/json' });
  });

  it('fails a non-2xx answer naming what answered, unless anyStatus', async () => {
    const e = await watchHttp(loopback([]), port, { path: '/missing', what: 'Prometheus' }).catch((x: unknown) => x);
    expect(isAppError(e, 'REMOTE_COMMAND_FAILED')).toBe(true);
    expect((e as Error).message).toContain('Prometheus answered GET /missing with HTTP 404: no such page');
    const res = await watchHttp(loopback([]), port, { path: '/missing', anyStatus: true });
    expect(res).toMatchObject({ status: 404, text: 'no such page', json: null });
  });

  it('reports nothing listening as CONNECT_FAILED and a silent server as TIMEOUT', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const deadPort = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    const refused = await watchHttp(loopback([]), deadPort, { path: '/', what: 'Alertmanager' }).catch((x: unknown) => x);
    expect(isAppError(refused, 'CONNECT_FAILED')).toBe(true);
    expect((refused as Error).message).toContain(`Alertmanager is not reachable on the server's 127.0.0.1:${deadPort}`);
    const slow = await watchHttp(loopback([]), port, { path: '/slow', timeoutMs: 300, what: 'Prometheus' }).catch((x: unknown) => x);
    expect(isAppError(slow, 'TIMEOUT')).toBe(true);
    expect((slow as Error).message).toContain('Prometheus answering GET /slow');
  });

  it('refuses a path that is not absolute before connecting', async () => {
    const seen: { host: string; port: number }[] = [];
    const e = await watchHttp(loopback(seen), port, { path: 'http://elsewhere/' }).catch((x: unknown) => x);
    expect(isAppError(e, 'INPUT_INVALID')).toBe(true);
    expect(seen).toEqual([]);
  });
});
