import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUSYBOX_TAG, Testbed, type TestServer } from '../testbed/index.ts';
import { startTestApp, waitFor, type TestApp } from '../helpers/app.ts';
import { addServer } from '../helpers/servers.ts';

describe('a Docker call in flight when the link is cut (real sshd + dockerd)', () => {
  let bed: Testbed;
  let app: TestApp;
  let s: TestServer;
  let id: string;

  beforeAll(async () => {
    bed = await Testbed.create({ prefix: 'sshcut' });
    s = await bed.addServer({ name: 'cut', images: ['busybox'] });
    app = await startTestApp({ ssh: { keepaliveIntervalMs: 1_000, keepaliveCountMax: 2, reconnect: { baseMs: 200, maxMs: 1_000, maxAttempts: 100 } } });
    id = (await addServer(app.client, s, { name: 'cut' })).id;
    await s.exec(['docker', 'run', '-d', '--name', 'waiter', BUSYBOX_TAG, 'sleep', '3600'], { check: true });
  });
  afterAll(async () => {
    await s?.restoreLink().catch(() => {});
    await app?.close();
    await bed?.teardown();
  });

  it('fails with CONNECT_FAILED naming the server as unreachable, not INTERNAL "socket hang up"', async () => {
    const states: string[] = [];
    app.services.pool.on('state', (sid, st) => sid === id && states.push(st.state));
    const api = await app.services.docker.api(id);
    // Blocks until the container exits: in flight for as long as the link lasts.
    const inFlight = api.getContainer('waiter').wait().then(
      () => ({ code: 'RESOLVED', message: '' }),
      (e: { code?: string; message?: string }) => ({ code: e.code ?? 'NO_CODE', message: e.message ?? '' }),
    );
    await new Promise((r) => setTimeout(r, 500));
    await s.cutLink();
    const outcome = await Promise.race([inFlight, new Promise<{ code: string; message: string }>((r) => setTimeout(() => r({ code: 'HUNG', message: '' }), 30_000))]);
    // The fault happened: the pool saw the connection drop.
    expect(states).toContain('reconnecting');
    expect(outcome.code).toBe('CONNECT_FAILED');
    expect(outcome.message).toMatch(/root@.* is unreachable/);
    expect(outcome.message).not.toMatch(/socket hang up/);
    await s.restoreLink();
    await waitFor(async () => (await app.client.servers.containers({ id })).some((c) => c.name === 'waiter'), 'Docker again after the link is back', 60_000);
    expect(app.services.pool.peek(id)!.generation).toBeGreaterThanOrEqual(2);
  });
});
