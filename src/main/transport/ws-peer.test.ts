import { createServer } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { attachPeer, WS_CLOSE_INTERNAL, WS_CLOSE_MALFORMED, type PeerUpgrade } from './ws-peer.ts';

type Facade = { send(d: string): void; addEventListener(type: string, fn: (ev: { data: unknown }) => unknown): void };

const VALID = JSON.stringify({ i: '1', p: { u: '/system/info' } });
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

/** A real WebSocket pair over loopback whose server side is handed to attachPeer. */
async function pair(upgrade: PeerUpgrade, faults: unknown[]) {
  const server = createServer();
  const wss = new WebSocketServer({ server });
  wss.on('connection', (ws) => attachPeer(ws, upgrade, (e) => faults.push(e)));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  cleanups.push(async () => {
    for (const c of wss.clients) c.terminate();
    await new Promise<void>((r) => server.close(() => r()));
  });
  const ws = new WebSocket(`ws://127.0.0.1:${(server.address() as { port: number }).port}`);
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  const closed = new Promise<{ code: number; reason: string }>((r) => ws.once('close', (code, reason) => r({ code, reason: reason.toString() })));
  return { ws, closed };
}

describe('attachPeer', () => {
  it('passes well-formed messages to the listener and echoes through send', async () => {
    const faults: unknown[] = [];
    const { ws } = await pair(async (socket) => {
      const f = socket as unknown as Facade;
      f.addEventListener('message', (ev) => f.send(`got ${String(ev.data)}`));
    }, faults);
    const reply = new Promise<string>((r) => ws.once('message', (d) => r(d.toString())));
    ws.send(VALID);
    expect(await reply).toBe(`got ${VALID}`);
    expect(faults).toEqual([]);
    ws.close();
  });

  it('closes with MALFORMED_MESSAGE before a listener sees a frame that is not a protocol message', async () => {
    const seen: unknown[] = [];
    const { ws, closed } = await pair(async (socket) => (socket as unknown as Facade).addEventListener('message', (ev) => seen.push(ev.data)), []);
    ws.send('not json');
    expect(await closed).toEqual({ code: WS_CLOSE_MALFORMED, reason: 'MALFORMED_MESSAGE' });
    expect(seen).toEqual([]);
  });

  const faulty: [string, PeerUpgrade][] = [
    ['a listener that throws', async (s) => (s as unknown as Facade).addEventListener('message', () => { throw new Error('listener boom'); })],
    ['a listener whose promise rejects', async (s) => (s as unknown as Facade).addEventListener('message', () => Promise.reject(new Error('listener boom')))],
  ];
  for (const [what, upgrade] of faulty) {
    it(`closes only that socket with 1011 on ${what} and reports the error`, async () => {
      const faults: unknown[] = [];
      const { ws, closed } = await pair(upgrade, faults);
      ws.send(VALID);
      expect(await closed).toEqual({ code: WS_CLOSE_INTERNAL, reason: 'INTERNAL_ERROR' });
      expect(faults).toEqual([expect.objectContaining({ message: 'listener boom' })]);
    });
  }

  it('closes with 1011 when the handler refuses the socket', async () => {
    const faults: unknown[] = [];
    const { closed } = await pair(() => Promise.reject(new Error('upgrade boom')), faults);
    expect(await closed).toEqual({ code: WS_CLOSE_INTERNAL, reason: 'INTERNAL_ERROR' });
    expect(faults).toEqual([expect.objectContaining({ message: 'upgrade boom' })]);
  });
});
