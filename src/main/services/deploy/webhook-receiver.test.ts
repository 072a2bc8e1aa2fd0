import { afterEach, describe, expect, it } from 'vitest';
import { rawClient, startReceiver, type RawClient, type Receiver } from './webhook-receiver.harness.ts';

// Loopback has all of 127.0.0.0/8: each address below is a different client as the receiver sees it.
const ATTACKER = '127.0.0.2';
const PROXY = '127.0.0.3';
const OTHER = '127.0.0.4';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits (bounded) until every client was closed by the receiver; fails naming how many are still open. */
async function closedByReceiver(clients: RawClient[], withinMs: number): Promise<void> {
  const deadline = Date.now() + withinMs;
  while (Date.now() < deadline && clients.some((c) => !c.closedAt)) await sleep(50);
  expect(clients.filter((c) => !c.closedAt).length, 'sockets the receiver left open').toBe(0);
}

describe('webhook receiver under idle, slow-header and slow-body connections', () => {
  let r: Receiver | undefined;
  const clients: RawClient[] = [];
  afterEach(async () => {
    for (const c of clients.splice(0)) c.socket.destroy();
    await r?.stop();
    r = undefined;
  });

  it('caps connections per client, answers health meanwhile, and closes idle and slowloris sockets after the header timeout', async () => {
    r = await startReceiver({ env: { OP_HEADERS_TIMEOUT_MS: '2000', OP_REQUEST_TIMEOUT_MS: '4000', OP_CONN_PER_CLIENT: '8' } });
    // 4 slowloris sockets (a header line every 250 ms, never the blank line) and 96 idle ones, all from one client.
    const slow: RawClient[] = [];
    for (let i = 0; i < 4; i++) slow.push(await rawClient(r.port, ATTACKER, 'POST /hooks/app1 HTTP/1.1\r\nHost: hooks\r\n'));
    const idle: RawClient[] = [];
    for (let i = 0; i < 96; i++) idle.push(await rawClient(r.port, ATTACKER));
    clients.push(...slow, ...idle);
    const drip = setInterval(() => {
      for (const c of slow) if (!c.closedAt) c.socket.write(`X-Drip-${Date.now()}: 1\r\n`);
    }, 250);
    try {
      await sleep(300);
      // The attack is real: the first 8 sockets are held open by the receiver, the rest were closed at once.
      const held = clients.filter((c) => !c.closedAt);
      expect(held.length).toBe(8);
      expect(slow.every((c) => !c.closedAt)).toBe(true);
      expect(idle.slice(4).every((c) => c.closedAt > 0 && c.closedAt - c.openedAt < 300)).toBe(true);

      const t0 = Date.now();
      const health = await r.get('/healthz', 1500);
      expect(health).toEqual({ status: 200, body: '{"ok":true}' });
      expect(Date.now() - t0).toBeLessThan(1000);
      expect(held.every((c) => !c.closedAt), 'the attacking sockets were still open while health answered').toBe(true);

      // Header timeout 2 s, checked every second: all held sockets are closed by the receiver, not before ~2 s.
      await closedByReceiver(held, 5000);
      for (const c of held) expect(c.closedAt - c.openedAt).toBeGreaterThanOrEqual(1800);
      expect(slow.every((c) => c.data === '' || c.data.startsWith('HTTP/1.1 408'))).toBe(true);
      // the client may connect again once its sockets are gone
      expect((await r.get('/healthz', 1500)).status).toBe(200);
    } finally {
      clearInterval(drip);
    }
  });

  it('behind a trusted proxy: limits requests in flight per forwarded client, ends slow bodies, ignores X-Forwarded-For from others', async () => {
    r = await startReceiver({ env: { OP_TRUSTED_PROXIES: PROXY, OP_CONN_PER_CLIENT: '4', OP_INFLIGHT_PER_CLIENT: '2', OP_HEADERS_TIMEOUT_MS: '2000', OP_REQUEST_TIMEOUT_MS: '3000' } });
    const slowBody = (xff: string) => `POST /hooks/app1 HTTP/1.1\r\nHost: hooks\r\nX-Forwarded-For: 203.0.113.1, ${xff}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{`;
    // Six connections from the proxy (more than the per-client cap of 4): two slow bodies of one client, then a third.
    const a1 = await rawClient(r.port, PROXY, slowBody('198.51.100.7'));
    const a2 = await rawClient(r.port, PROXY, slowBody('198.51.100.7'));
    await sleep(200);
    const a3 = await rawClient(r.port, PROXY, slowBody('198.51.100.7'));
    const others = [];
    for (const ip of ['198.51.100.8', '198.51.100.9', '198.51.100.10']) others.push(await rawClient(r.port, PROXY, slowBody(ip)));
    clients.push(a1, a2, a3, ...others);
    const deadline = Date.now() + 2000;
    while (!a3.closedAt && Date.now() < deadline) await sleep(20);
    expect(a3.data).toMatch(/^HTTP\/1\.1 429 /);
    expect(a3.data).toMatch(/\r\nRetry-After: \d+\r\n/i);
    const held = [a1, a2, ...others];
    expect(held.every((c) => !c.closedAt && c.data === '')).toBe(true);

    // X-Forwarded-For from a client that is not the proxy is not believed (nor does it count against 198.51.100.7).
    const direct = await r.post('/hooks/app1', '{}', { 'X-Forwarded-For': '198.51.100.7' }, OTHER);
    expect(direct.status).toBe(401);
    expect(r.log().at(-1)).toMatchObject({ status: 401, remote: OTHER });
    expect(r.log().find((e) => e.status === 429)).toMatchObject({ remote: '198.51.100.7' });
    expect((await r.get('/healthz', 1500)).status).toBe(200);

    // Request timeout 3 s: the slow bodies are ended by the receiver.
    await closedByReceiver(held, 5000);
    for (const c of held) expect(c.closedAt - c.openedAt).toBeGreaterThanOrEqual(2500);
  });
});
