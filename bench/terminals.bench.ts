/**
 * Terminal benchmarks, side by side with the floor (a bare ssh2 pty channel on a fresh connection, no app,
 * no WebSocket) against the same test server, with no added latency and with 25 ms each way:
 * - keystroke → echo on screen (the pty echoes; what a user feels while typing), median and p95, in RTTs;
 * - throughput of a flood of output (`head -c N | tr`) to the client, MB/s;
 * - app-process RSS growth while a terminal floods with nobody reading (flow control bounds it).
 * The app path is the real one: the built `openpanel web` process, typed oRPC client → WebSocket →
 * TerminalsService → SSH pty → back.
 */
import type { ClientChannel } from 'ssh2';
import { readFileSync } from 'node:fs';
import type { ContractRouterClient } from '@orpc/contract';
import type { Contract } from '../src/shared/contract/index.ts';
import { startWebProcess } from '../tests/helpers/web-process.ts';
import { Testbed, type TestServer } from '../tests/testbed/index.ts';
import { connectionTo, fmt, median, proxyProcess, table, type Proxy } from './lib.ts';

const DELAY = 25;
const RTT = 2 * DELAY;
const KEYS = Number(process.env.BENCH_KEYS ?? 40);
const FLOOD_MB = Number(process.env.BENCH_FLOOD_MB ?? 32);

type App = { client: ContractRouterClient<Contract> };

function rssMb(pid: number): number {
  return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
}

function p95(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(s.length * 0.95))]!;
}

/** Waits until `count` chars arrived after each write; returns per-keystroke times. */
async function typeAndTime(write: (c: string) => void, received: () => number): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < KEYS; i++) {
    const before = received();
    const t = performance.now();
    write('a');
    for (let spins = 0; received() <= before && spins < 100_000; spins++) await new Promise((r) => setImmediate(r));
    times.push(performance.now() - t);
  }
  return times;
}

async function appTerminal(app: App, serverId: string, command: string[]) {
  const t = await app.client.terminals.open({ serverId, command });
  let chars = 0;
  let text = '';
  let exited = false;
  const ac = new AbortController();
  const done = (async () => {
    for await (const ev of await app.client.terminals.attach({ id: t.id }, { signal: ac.signal })) {
      if (ev.type === 'output') {
        chars += ev.data.length;
        if (text.length < 256) text += ev.data;
      } else exited = true;
    }
  })().catch(() => {});
  return { id: t.id, received: () => chars, text: () => text, exited: () => exited, done, stop: () => ac.abort() };
}

async function rawPty(s: TestServer, via: Proxy | undefined, command: string) {
  const conn = connectionTo(s, via);
  await conn.ready();
  const { value: ch } = await conn.withSession(
    (client) => new Promise<ClientChannel>((resolve, reject) => client.exec(command, { pty: { term: 'xterm', rows: 24, cols: 80 } }, (e, c) => (e ? reject(e) : resolve(c)))),
  );
  let bytes = 0;
  ch.on('data', (d: Buffer) => (bytes += d.length));
  const closed = new Promise<void>((r) => ch.once('close', () => r()));
  return { ch, received: () => bytes, closed, close: () => conn.close() };
}

async function addVia(app: App, s: TestServer, via: Proxy | undefined, name: string): Promise<string> {
  const server = await app.client.servers.create({
    name,
    host: via?.host ?? s.host,
    port: via?.port ?? s.port,
    username: 'root',
    auth: { method: 'key', keyPath: s.users.root.privateKeyPath },
  });
  await app.client.servers.trustHostKey({ id: server.id, keyType: 'ssh-ed25519', fingerprint: s.hostKeyFingerprint, replace: false });
  return server.id;
}

async function main(): Promise<void> {
  const bed = await Testbed.create({ prefix: 'benchtm' });
  const web = await startWebProcess();
  const conn = await web.client();
  const app: App = conn;
  try {
    const s = await bed.addServer({ name: 'tm' });
    const proxy = await proxyProcess(s, DELAY);
    const rows: (string | number)[][] = [['path', 'added RTT', 'keystroke→echo median ms', 'p95 ms', 'median in RTTs']];
    for (const via of [undefined, proxy]) {
      const label = via ? `${RTT} ms` : '0';
      const serverId = await addVia(app, s, via, `tm-${via ? 'slow' : 'fast'}`);
      const term = await appTerminal(app, serverId, ['cat']);
      await new Promise((r) => setTimeout(r, 300));
      const appTimes = await typeAndTime((c) => void app.client.terminals.input({ id: term.id, data: c }), term.received);
      term.stop();
      await app.client.terminals.close({ id: term.id });
      const raw = await rawPty(s, via, 'cat');
      const rawTimes = await typeAndTime((c) => raw.ch.write(c), raw.received);
      raw.close();
      const inRtt = (xs: number[]) => (via ? fmt(median(xs) / RTT) : '-');
      rows.push(['OpenPanel terminal (WS + service + SSH)', label, fmt(median(appTimes)), fmt(p95(appTimes)), inRtt(appTimes)]);
      rows.push(['bare ssh2 pty channel (floor)', label, fmt(median(rawTimes)), fmt(p95(rawTimes)), inRtt(rawTimes)]);
    }
    console.log(`Keystroke echo (${KEYS} keys each)\n${table(rows)}\n`);

    const fast = (await app.client.servers.list()).find((x) => x.name === 'tm-fast')!.id;
    const bytes = FLOOD_MB * 1024 * 1024;
    const flood = `head -c ${bytes} /dev/zero | tr '\\0' x`;
    let t = performance.now();
    const term = await appTerminal(app, fast, ['sh', '-c', flood]);
    await term.done;
    const appSecs = (performance.now() - t) / 1000;
    if (term.received() !== bytes) throw new Error(`terminal delivered ${term.received()} of ${bytes} chars`);
    await app.client.terminals.close({ id: term.id });
    t = performance.now();
    const raw = await rawPty(s, undefined, flood);
    await raw.closed;
    const rawSecs = (performance.now() - t) / 1000;
    raw.close();
    console.log(
      `Flood of ${FLOOD_MB} MB to the client\n${table([
        ['path', 'MB/s', 'seconds'],
        ['OpenPanel terminal (WS + service + SSH)', fmt(FLOOD_MB / appSecs, 1), fmt(appSecs)],
        ['bare ssh2 pty channel (floor)', fmt(FLOOD_MB / rawSecs, 1), fmt(rawSecs)],
      ])}\n`,
    );

    // Nobody attached: flow control must hold the flood back instead of buffering it in the app process.
    const pid = web.child.pid!;
    const rssBefore = rssMb(pid);
    const idle = await app.client.terminals.open({ serverId: fast, command: ['sh', '-c', `${flood}; echo; echo done`] });
    await new Promise((r) => setTimeout(r, 3_000));
    const rssAfter = rssMb(pid);
    const info = (await app.client.terminals.list()).find((x) => x.id === idle.id)!;
    await app.client.terminals.close({ id: idle.id });
    console.log(
      `Unread flood (${FLOOD_MB} MB offered, nobody attached, after 3 s): still ${info.state} (held back), app RSS ${fmt(rssBefore, 0)} → ${fmt(rssAfter, 0)} MB ` +
        `(+${fmt(rssAfter - rssBefore, 1)} MB; without flow control it would hold the whole ${FLOOD_MB} MB as UTF-16, ~${2 * FLOOD_MB} MB)`,
    );
    proxy.close();
  } finally {
    conn.close();
    await web.stop();
    await bed.teardown();
  }
}

await main();
