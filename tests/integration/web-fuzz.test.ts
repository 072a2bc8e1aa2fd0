import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { rawExchange, rawWebSocket, wsFrame, type RawAnswer } from '../helpers/raw-http.ts';
import { startWebProcess, type WebProcess } from '../helpers/web-process.ts';

/**
 * Fuzzes the real `openpanel web` process over loopback: malformed HTTP, upgrades, TCP garbage and WebSocket
 * frames. Every answer must be a 4xx or a closed socket, and afterwards the process must still serve.
 */
const BIN = process.env.OPENPANEL_FUZZ_BIN ?? join(import.meta.dirname, '../../bin/openpanel.mjs');
const INDEX = readFileSync(join(dirname(BIN), '../out/renderer/index.html'));

function seeded(seed: number) {
  return () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 16) & 0xff;
}

describe('web mode under fuzzing', () => {
  let web: WebProcess;
  let port: number;
  const get = (target: string, extra = '') => `GET ${target} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: close\r\n${extra}\r\n`;
  const upgrade = (target: string, headers: Record<string, string>, method = 'GET') =>
    `${method} ${target} HTTP/1.1\r\n` +
    Object.entries({ Host: `127.0.0.1:${port}`, Upgrade: 'websocket', Connection: 'Upgrade', 'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==', 'Sec-WebSocket-Version': '13', ...headers })
      .filter(([, v]) => v !== '')
      .map(([k, v]) => `${k}: ${v}\r\n`)
      .join('') +
    '\r\n';
  const rpc = () => `/rpc?token=${web.token}`;

  async function expectAlive() {
    expect(web.child.exitCode, `openpanel web exited:\n${web.output().slice(-2000)}`).toBeNull();
    expect(web.child.signalCode).toBeNull();
    const res = await fetch(`http://127.0.0.1:${port}/`);
    expect(res.status).toBe(200);
    expect(Buffer.from(await res.arrayBuffer()).equals(INDEX)).toBe(true);
  }

  function expectRefused(what: string, a: RawAnswer) {
    const ok = a.status === null ? a.closed : a.status >= 400 && a.status < 500;
    expect(ok, `${what}: status ${a.status}, closed ${a.closed}, head ${JSON.stringify(a.head.slice(0, 200))}`).toBe(true);
  }

  beforeAll(async () => {
    web = await startWebProcess({ bin: BIN });
    port = web.port;
  });
  afterAll(async () => {
    await web?.stop();
  });

  it('answers GET /% with 400 and keeps running (this request used to kill the process)', async () => {
    const a = await rawExchange(port, get('/%'));
    await expectAlive();
    expect(a.status).toBe(400);
  });

  it('refuses malformed request targets with a 4xx', async () => {
    const targets = ['/%', '/%zz', '/%0', '/%%', '/%00', '/a%00b.js', '/%0d%0aSet-Cookie:x=1', '/%C0%AE%C0%AE/', '/%ED%A0%80', '/%FF', `/${'a'.repeat(2000)}`, `/${'%41'.repeat(400)}`, 'http://[', 'http://local:99999/'];
    for (const t of targets) expectRefused(t, await rawExchange(port, get(t)));
    await expectAlive();
  });

  it('serves nothing but the app for traversal and unicode paths', async () => {
    const targets = ['/../../etc/passwd', '/..%2f..%2fetc%2fpasswd', '/%2e%2e/%2e%2e/etc/passwd', '/..\\..\\etc\\passwd', '/%5c..%5c..%5cetc%5cpasswd', '/assets/../../../../etc/passwd', '//evil.example/x', '*', '/%C3%A9', '/%E2%80%AE', '/é', '/index.html?../../etc/passwd'];
    for (const t of targets) {
      const a = await rawExchange(port, get(t));
      if (a.status === 200) expect(a.body.equals(INDEX), `${t} answered 200 with something other than index.html`).toBe(true);
      else expectRefused(t, a);
    }
    await expectAlive();
  });

  it('refuses other methods', async () => {
    for (const m of ['POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'TRACE', 'FOO', 'get', 'G\0T']) {
      expectRefused(m, await rawExchange(port, get('/').replace(/^GET/, m)));
    }
    expectRefused('CONNECT', await rawExchange(port, `CONNECT 127.0.0.1:22 HTTP/1.1\r\nHost: 127.0.0.1:22\r\n\r\n`));
    await expectAlive();
  });

  it('refuses malformed, huge, duplicated and missing headers', async () => {
    const cases: Record<string, string> = {
      huge: get('/', `X-Big: ${'a'.repeat(20_000)}\r\n`),
      'many huge': get('/', `X-A: ${'a'.repeat(9000)}\r\nX-B: ${'b'.repeat(9000)}\r\n`),
      'duplicated Host': get('/', `Host: 127.0.0.1:${port}\r\n`),
      'duplicated Host, foreign first': `GET / HTTP/1.1\r\nHost: evil.example\r\nHost: 127.0.0.1:${port}\r\n\r\n`,
      'foreign Host': get('/').replace(`127.0.0.1:${port}`, 'evil.example'),
      'empty Host': get('/').replace(`127.0.0.1:${port}`, ''),
      'missing Host (HTTP/1.1)': 'GET / HTTP/1.1\r\nConnection: close\r\n\r\n',
      'missing Host (HTTP/1.0)': 'GET / HTTP/1.0\r\n\r\n',
      'no colon': get('/', 'NoColonHere\r\n'),
      'space in name': get('/', 'Bad Name: x\r\n'),
      'NUL in value': get('/', 'X-A: a\0b\r\n'),
      'obs-fold': get('/', 'X-A: a\r\n folded\r\n'),
      'CL and TE': get('/', 'Content-Length: 3\r\nTransfer-Encoding: chunked\r\n'),
      'bad Content-Length': get('/', 'Content-Length: abc\r\n'),
      'two Content-Length': get('/', 'Content-Length: 1\r\nContent-Length: 2\r\n'),
      'bad version': `GET / HTTP/9.9\r\nHost: 127.0.0.1:${port}\r\n\r\n`,
    };
    for (const [what, req] of Object.entries(cases)) expectRefused(what, await rawExchange(port, req));
    await expectAlive();
  });

  it('refuses bad upgrades before and inside the WebSocket handshake', async () => {
    const cases: [string, string][] = [
      ['invalid target', upgrade('http://[', {})],
      ['unknown path', upgrade('/nope', {})],
      ['malformed path', upgrade('/%', {})],
      ['no token', upgrade('/rpc', {})],
      ['wrong token', upgrade('/rpc?token=x', {})],
      ['foreign Host', upgrade(rpc(), { Host: 'evil.example' })],
      ['duplicated Host', upgrade(rpc(), {}).replace('Upgrade: websocket', `Host: 127.0.0.1:${port}\r\nUpgrade: websocket`)],
      ['Origin null', upgrade(rpc(), { Origin: 'null' })],
      ['Origin https', upgrade(rpc(), { Origin: `https://127.0.0.1:${port}` })],
      ['Origin without scheme', upgrade(rpc(), { Origin: `127.0.0.1:${port}` })],
      ['Upgrade h2c', upgrade(rpc(), { Upgrade: 'h2c' })],
      ['no key', upgrade(rpc(), { 'Sec-WebSocket-Key': '' })],
      ['bad key', upgrade(rpc(), { 'Sec-WebSocket-Key': 'abc' })],
      ['version 12', upgrade(rpc(), { 'Sec-WebSocket-Version': '12' })],
      ['no version', upgrade(rpc(), { 'Sec-WebSocket-Version': '' })],
      ['bad protocol list', upgrade(rpc(), { 'Sec-WebSocket-Protocol': ',,, ,' })],
      ['POST', upgrade(rpc(), {}, 'POST')],
    ];
    for (const [what, req] of cases) expectRefused(what, await rawExchange(port, req));
    await expectAlive();
  });

  it('survives clients that reset the connection while their upgrade is answered', async () => {
    for (let i = 0; i < 30; i++) {
      const req = i % 2 ? upgrade('/rpc?token=wrong', {}) : upgrade('/nope', {});
      const a = await rawExchange(port, req, { reset: true });
      expect(a.closed).toBe(true);
    }
    await expectAlive();
  });

  it('closes on TCP garbage', async () => {
    const rnd = seeded(7);
    const cases: Record<string, Buffer | string> = {
      random: Buffer.from(Array.from({ length: 4096 }, rnd)),
      crlf: '\r\n\r\n',
      'TLS ClientHello': Buffer.from('160301002e0100002a0303' + '00'.repeat(32) + '0000020035', 'hex'),
      'HTTP/2 preface': 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n',
      'endless line': 'A'.repeat(100_000),
      NULs: Buffer.alloc(2048),
      'request line only': `GET / HTTP/1.1\r\n`,
    };
    for (const [what, bytes] of Object.entries(cases)) expectRefused(what, await rawExchange(port, bytes));
    await expectAlive();
  });

  it('closes a WebSocket on messages that are not protocol messages', async () => {
    const messages: (string | Buffer)[] = ['not json', '{', '[]', 'null', '{"i":1}', '{"i":{},"p":{"u":"/a"}}', '{"i":1,"p":{"u":"http://evil/x"}}', '{"i":1,"t":9,"p":{}}', Buffer.from([0, 1, 2, 0xff, 3])];
    for (const m of messages) {
      const ws = new WebSocket(`ws://127.0.0.1:${port}${rpc()}`);
      await new Promise<void>((resolve, reject) => {
        ws.once('open', () => resolve());
        ws.once('error', reject);
      });
      const closed = new Promise<number>((r) => ws.once('close', (code) => r(code)));
      ws.send(m);
      expect(await closed, String(m)).toBe(4400);
    }
    await expectAlive();
  });

  it('closes a WebSocket on protocol violations with the right close code', async () => {
    const oversize = 16 * 1024 * 1024 + 1;
    const cases: [string, Buffer[], number][] = [
      ['RSV bits', [wsFrame(1, '{}', { rsv: 3 })], 1002],
      ['unmasked', [wsFrame(1, '{}', { mask: false })], 1002],
      ['unknown opcode', [wsFrame(3, 'x')], 1002],
      ['invalid UTF-8', [wsFrame(1, Buffer.from([0xc3, 0x28]))], 1007],
      ['ping over 125 bytes', [wsFrame(9, Buffer.alloc(200))], 1002],
      ['fragmented ping', [wsFrame(9, 'x', { fin: false })], 1002],
      ['continuation first', [wsFrame(0, 'x')], 1002],
      ['declared over maxPayload', [wsFrame(2, Buffer.alloc(0), { declaredLength: oversize })], 1009],
      ['fragments over maxPayload', [wsFrame(2, Buffer.alloc(9 * 1024 * 1024), { fin: false }), wsFrame(0, Buffer.alloc(9 * 1024 * 1024))], 1009],
      ['bad close code', [wsFrame(8, Buffer.from([0x03, 0xe7]))], 1002],
    ];
    for (const [what, frames, code] of cases) {
      const ws = await rawWebSocket(port, rpc());
      for (const f of frames) ws.socket.write(f);
      expect(await ws.closeCode(10_000), what).toBe(code);
      ws.socket.destroy();
    }
    await expectAlive();
  });

  it('answers a fragmented request and a few pings, cuts off a ping flood, then still serves calls', async () => {
    const ws = await rawWebSocket(port, rpc());
    const msg = JSON.stringify({ i: 'frag-1', p: { u: '/system/info', b: { json: null } } });
    ws.socket.write(Buffer.concat([wsFrame(1, msg.slice(0, 10), { fin: false }), wsFrame(9, 'mid'), wsFrame(0, msg.slice(10, 30), { fin: false }), wsFrame(0, msg.slice(30))]));
    const reply = await ws.next((f) => f.opcode === 1 && f.payload.toString().includes('"frag-1"'));
    expect(JSON.parse(reply.payload.toString())).toMatchObject({ i: 'frag-1', p: { b: { json: { mode: 'web' } } } });
    ws.socket.write(Buffer.concat(Array.from({ length: 20 }, (_, i) => wsFrame(9, `a${i}`))));
    await ws.next((f) => f.opcode === 10 && f.payload.toString() === 'a19');
    const pongs = () => ws.frames.filter((f) => f.opcode === 10).length;
    expect(pongs()).toBe(21);

    const flood = 2000;
    ws.socket.write(Buffer.concat(Array.from({ length: flood }, (_, i) => wsFrame(9, `f${i}`))));
    await Promise.race([ws.closed, new Promise((_, reject) => setTimeout(() => reject(new Error('ping flood did not end the connection within 10 s')), 10_000))]);
    expect(pongs()).toBeLessThan(21 + flood);
    await expectAlive();
    const { client, close } = await web.client();
    expect((await client.system.info()).mode).toBe('web');
    close();
  });
});
