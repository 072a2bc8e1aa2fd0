import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LatencyProxy } from '../testbed/latency.ts';
import { Testbed, type TestServer } from '../testbed/index.ts';
import { rpcError, startTestApp, waitFor, type TestApp } from '../helpers/app.ts';

describe('a host key that changes while the pool reconnects by itself (real sshd, fleet monitor running)', () => {
  let bed: Testbed;
  let app: TestApp;
  let s: TestServer;
  let proxy: LatencyProxy;
  let id: string;

  beforeAll(async () => {
    bed = await Testbed.create({ prefix: 'sshhk' });
    s = await bed.addServer({ name: 'hk' });
    // Every handshake passes this loopback proxy, which counts the TCP connections it accepts.
    proxy = await s.latencyProxy({ delayMs: 0 });
    app = await startTestApp({ monitor: true, ssh: { keepaliveIntervalMs: 1_000, keepaliveCountMax: 2, reconnect: { baseMs: 100, maxMs: 1_000, maxAttempts: 100 } } });
    await app.client.settings.update({ sampleIntervalSec: 2 });
    const created = await app.client.servers.create({ name: 'hk', host: proxy.host, port: proxy.port, username: 'root', auth: { method: 'key', privateKey: s.users.root.privateKey } });
    id = (await app.client.servers.trustHostKey({ id: created.id, keyType: 'ssh-ed25519', fingerprint: s.hostKeyFingerprint, replace: false })).id;
  });
  afterAll(async () => {
    await s?.restoreLink().catch(() => {});
    await app?.close();
    await bed?.teardown();
  });

  it('is refused with both fingerprints, never accepted, and not contacted again until the user trusts the new key', async () => {
    const states: string[] = [];
    app.services.pool.on('state', (sid, st) => sid === id && states.push(st.state));
    let snapshots = 0;
    app.services.monitor.on('snapshot', (snap) => snap.serverId === id && snapshots++);
    await app.client.servers.containers({ id });
    // The monitor samples this server (so it keeps asking for the connection below).
    await waitFor(() => snapshots >= 2, 'the monitor sampling the server', 20_000);
    const conn = app.services.pool.peek(id)!;
    expect(conn.generation).toBe(1);
    const pinned = s.hostKeyFingerprint;

    await s.cutLink();
    await s.changeHostKey();
    expect(s.hostKeyFingerprint).not.toBe(pinned);
    await waitFor(() => states.includes('reconnecting'), 'the pool to notice the drop and reconnect by itself', 30_000);
    await s.restoreLink();
    await waitFor(() => app.services.pool.state(id).error?.code === 'HOST_KEY_CHANGED', 'the automatic reconnect to be refused', 60_000);

    const st = app.services.pool.state(id);
    expect(st.state).toBe('failed');
    expect(st.error!.message).toContain(pinned);
    expect(st.error!.message).toContain(s.hostKeyFingerprint);
    expect(st.error!.data).toMatchObject({ expected: pinned, actual: s.hostKeyFingerprint });
    expect(conn.generation).toBe(1); // never became ready on the new key
    expect((await app.client.servers.get({ id })).hostKeys.map((k) => k.fingerprint)).toEqual([pinned]);

    // It stays refused: callers get the error, and the fleet monitor (every 2 s) starts no handshake.
    const before = proxy.connections;
    expect(before).toBeGreaterThanOrEqual(2); // the first connection and the refused reconnect
    const deadline = Date.now() + 12_000;
    for (let i = 0; i < 24 && Date.now() < deadline; i++) {
      const err = await rpcError(app.client.servers.containers({ id }));
      expect(err.code).toBe('HOST_KEY_CHANGED');
      await new Promise((r) => setTimeout(r, 500));
    }
    expect(proxy.connections - before).toBe(0);
    expect(app.services.pool.state(id).state).toBe('failed');

    // The user trusts the new key: one new connection, and it works (the counter does count handshakes).
    await app.client.servers.trustHostKey({ id, keyType: 'ssh-ed25519', fingerprint: s.hostKeyFingerprint, replace: true });
    await app.client.servers.containers({ id });
    expect(proxy.connections).toBeGreaterThan(before);
  });
});
