import * as net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectDocker } from '../../src/main/services/docker/client.ts';
import { AppError } from '../../src/main/services/core/errors.ts';
import { SshConnection, type HostKeyVerifier, type SshAuth, type StateEvent } from '../../src/main/services/ssh/connection.ts';
import { ConnectionPool } from '../../src/main/services/ssh/pool.ts';
import { Testbed, type TestServer } from '../testbed/index.ts';
import { startTestApp, waitFor, type TestApp } from '../helpers/app.ts';
import { addServer } from '../helpers/servers.ts';

let bed: Testbed;
let s: TestServer;

beforeAll(async () => {
  bed = await Testbed.create({ prefix: 'sshgrd' });
  s = await bed.addServer({ name: 'guard' });
});
afterAll(async () => {
  await bed?.teardown();
});

/** Structural guards for what makes the tunnel fast (the numbers themselves are in `npm run bench`). */
describe('performance guards: one connection, TCP_NODELAY, kept-alive Docker channels', () => {
  let app: TestApp;
  let id: string;

  beforeAll(async () => {
    app = await startTestApp();
    id = (await addServer(app.client, s, { name: 'guard' })).id;
  });
  afterAll(async () => {
    await app?.close();
  });

  async function sshConnectionsOnServer(): Promise<number> {
    const r = await s.exec(['ss', '-Htn', 'state', 'established', '( sport = :22 )'], { check: true });
    return r.stdout.split('\n').filter((l) => l.trim()).length;
  }

  it('reuses one SSH connection for Docker, exec and facts, and a few channels for many API calls', async () => {
    for (let i = 0; i < 25; i++) await app.client.servers.containers({ id });
    await Promise.all(Array.from({ length: 10 }, () => app.client.servers.containers({ id })));
    await app.client.servers.facts({ id });
    const conn = app.services.pool.peek(id)!;
    expect(conn.generation).toBe(1);
    expect(await sshConnectionsOnServer()).toBe(1);
    const docker = await app.services.docker.client(id);
    expect((docker.agent as unknown as { keepAlive: boolean }).keepAlive).toBe(true);
    // 36+ requests, some concurrent: channels are reused, not opened per request.
    expect(docker.agent.channelsOpened).toBeLessThanOrEqual(12);
    expect(docker.transport.kind).toBe('streamlocal');
  });

  it('turns Nagle off on the SSH socket', async () => {
    await app.client.servers.containers({ id });
    expect(app.services.pool.peek(id)!.noDelay).toBe(true);
  });
});

const hostKeys = (): HostKeyVerifier => ({
  preferredAlgorithms: () => ['ssh-ed25519'],
  verify: async (_e, key) => (key.fingerprint === s.hostKeyFingerprint ? { ok: true } : { ok: false, error: new AppError('HOST_KEY_CHANGED', 'not the test server') }),
});

function traced(auth: SshAuth, username = 'root'): { conn: SshConnection; trace: string[] } {
  const trace: string[] = [];
  const conn = new SshConnection({ label: `${username}@guard`, endpoint: { host: s.host, port: s.port, username }, resolveAuth: async () => auth, hostKeys: hostKeys(), debug: (l) => trace.push(l) });
  return { conn, trace };
}

const sent = (trace: string[], what: string) => trace.filter((l) => l.startsWith('Outbound: Sending') && l.includes(what));

describe('round trips of a connect (guards for connect → first Docker result)', () => {
  it.each([
    ['ed25519', () => ({ privateKey: s.users.root.privateKey }), 'root'],
    ['RSA (rsa-sha2-256)', () => ({ privateKey: s.users.docker.privateKey }), 'dockeruser'],
    ['encrypted ed25519', () => ({ privateKey: s.users.enc.privateKey, passphrase: s.users.enc.passphrase }), 'encuser'],
  ] as const)('a key (%s) is signed in the first request, sent behind the service request: no round trip for either', async (_kind, auth, user) => {
    const { conn, trace } = traced(auth(), user);
    try {
      await conn.ready();
      expect(sent(trace, 'USERAUTH_REQUEST')).toEqual(['Outbound: Sending USERAUTH_REQUEST (publickey)']);
      expect(trace.filter((l) => l.includes('USERAUTH_PK_OK'))).toEqual([]);
      // pipelined behind the service request: sent before the server's SERVICE_ACCEPT came back
      expect(trace.findIndex((l) => l.startsWith('Outbound: Sending USERAUTH_REQUEST'))).toBeLessThan(trace.findIndex((l) => l.includes('Received SERVICE_ACCEPT')));
      expect(trace.findIndex((l) => l.includes('Received SERVICE_ACCEPT'))).toBeGreaterThan(-1);
      expect(conn.noDelay).toBe(true);
    } finally {
      conn.close();
    }
  });

  it('a key the server does not accept still fails as an authentication failure', async () => {
    const { conn, trace } = traced({ privateKey: s.users.sudo.privateKey }, 'root');
    try {
      await expect(conn.ready()).rejects.toMatchObject({ code: 'AUTH_FAILED' });
      expect(sent(trace, 'USERAUTH_REQUEST (publickey)').length).toBeGreaterThan(0);
    } finally {
      conn.close();
    }
  });

  it('the session that turns off sshd\'s Nagle runs after the first Docker answer, and not at all after a session', async () => {
    const { conn, trace } = traced({ privateKey: s.users.root.privateKey });
    try {
      await conn.ready();
      const docker = await connectDocker(conn);
      docker.close();
      const firstAnswer = trace.findIndex((l) => l.startsWith('Inbound: CHANNEL_DATA (r:0'));
      const sessionOpen = trace.findIndex((l) => l.startsWith('Outbound: Sending CHANNEL_OPEN') && l.includes('session'));
      expect(trace.findIndex((l) => l.includes('CHANNEL_OPEN (r:0, direct-streamlocal'))).toBeGreaterThan(-1);
      expect(firstAnswer).toBeGreaterThan(-1);
      expect(sessionOpen).toBeGreaterThan(firstAnswer);
      await waitFor(() => conn.serverNagle.off, 'the Nagle session to finish');
      expect(sent(trace, 'exec: true')).toHaveLength(1);
    } finally {
      conn.close();
    }
    const second = traced({ privateKey: s.users.root.privateKey });
    try {
      await second.conn.exec(['true']);
      const docker = await connectDocker(second.conn);
      await docker.api.listContainers();
      docker.close();
      expect(sent(second.trace, 'CHANNEL_OPEN').filter((l) => l.includes('session'))).toHaveLength(1);
    } finally {
      second.conn.close();
    }
  });
});

describe('bounded connects: at most 6 handshakes at once to one sshd (MaxStartups starts dropping at 10)', () => {
  const N = 20;
  /** A TCP relay in front of a delay proxy: records when each connection arrives. */
  async function countingRelay(delayMs: number) {
    const delayed = await s.latencyProxy({ delayMs });
    const accepts: number[] = [];
    const sockets = new Set<net.Socket>();
    const server = net.createServer({ noDelay: true }, (c) => {
      accepts.push(performance.now());
      const up = net.connect({ host: delayed.host, port: delayed.port, noDelay: true });
      for (const x of [c, up]) {
        sockets.add(x);
        x.on('error', () => {});
        x.on('close', () => (c.destroy(), up.destroy()));
      }
      c.pipe(up).pipe(c);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as net.AddressInfo).port;
    return {
      port,
      accepts,
      close: async () => {
        sockets.forEach((x) => x.destroy());
        await new Promise((r) => server.close(r));
        await delayed.close();
      },
    };
  }
  /** Most handshakes in flight at once: arrivals at the relay against handshakes that ended (ready or failed). */
  function mostAtOnce(accepts: number[], ends: number[]): number {
    const events = [...accepts.map((t) => [t, 1] as const), ...ends.map((t) => [t, -1] as const)].sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    let now = 0;
    let most = 0;
    for (const [, d] of events) most = Math.max(most, (now += d));
    return most;
  }
  const ended = (st: StateEvent) => st.state === 'ready' || st.state === 'failed';

  it('the pool connects 20 servers that are one sshd 6 at a time, and every one gets in', async () => {
    const relay = await countingRelay(10);
    const pool = new ConnectionPool({
      hostKeys: hostKeys(),
      describe: async (id) => ({ label: id, endpoint: { host: '127.0.0.1', port: relay.port, username: 'root' }, jumpServerId: null, resolveAuth: async () => ({ privateKey: s.users.root.privateKey }) }),
    });
    const ends: number[] = [];
    pool.on('state', (_id, st) => ended(st) && ends.push(performance.now()));
    try {
      const conns = await Promise.all(Array.from({ length: N }, (_, i) => pool.acquire(`s${i}`)));
      expect(conns.every((c) => c.state.state === 'ready')).toBe(true);
      expect(relay.accepts).toHaveLength(N);
      expect(mostAtOnce(relay.accepts, ends)).toBe(6);
      expect(pool.gate.peak.perServer.get(`>127.0.0.1:${relay.port}`)).toBe(6);
    } finally {
      pool.closeAll();
      await relay.close();
    }
  });

  it('positive control: the same 20 connections without the gate are all in flight at once', async () => {
    const relay = await countingRelay(10);
    const ends: number[] = [];
    const conns = Array.from({ length: N }, (_, i) => {
      const c = new SshConnection({ label: `c${i}`, endpoint: { host: '127.0.0.1', port: relay.port, username: 'root' }, resolveAuth: async () => ({ privateKey: s.users.root.privateKey }), hostKeys: hostKeys() });
      c.on('state', (st) => ended(st) && ends.push(performance.now()));
      return c;
    });
    try {
      await Promise.allSettled(conns.map((c) => c.ready()));
      expect(relay.accepts).toHaveLength(N);
      expect(mostAtOnce(relay.accepts, ends)).toBeGreaterThan(10);
    } finally {
      conns.forEach((c) => c.close());
      await relay.close();
    }
  });
});
