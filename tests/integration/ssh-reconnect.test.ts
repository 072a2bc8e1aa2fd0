import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Testbed, BUSYBOX_TAG, type TestServer } from '../testbed/index.ts';
import { startTestApp, waitFor, type TestApp } from '../helpers/app.ts';
import { addServer } from '../helpers/servers.ts';

interface Ev {
  action: string;
  id: string;
  name: string | null;
  timeNano: string;
}

describe('link cut during a Docker event stream (real sshd + dockerd)', () => {
  let bed: Testbed;
  let app: TestApp;
  let s: TestServer;
  let serverId: string;

  beforeAll(async () => {
    bed = await Testbed.create();
    s = await bed.addServer({ name: 'cut', images: ['busybox'] });
    app = await startTestApp({ ssh: { keepaliveIntervalMs: 1_000, keepaliveCountMax: 3, reconnect: { baseMs: 200, maxMs: 2_000, maxAttempts: 100 } } });
    serverId = (await addServer(app.client, s, { name: 'cut' })).id;
  });
  afterAll(async () => {
    await s?.restoreLink().catch(() => {});
    await app?.close();
    await bed?.teardown();
  });

  it('comes back by itself after a 10 s cut and resumes the stream with nothing lost or duplicated', async () => {
    const states: string[] = [];
    app.services.pool.on('state', (id, st) => id === serverId && states.push(st.state));
    const ac = new AbortController();
    const events: Ev[] = [];
    const statuses: { state: string; errorCode: string | null }[] = [];
    const stream = await app.client.servers.dockerEvents({ id: serverId }, { signal: ac.signal });
    const consumer = (async () => {
      try {
        for await (const e of stream) {
          if ('kind' in e) statuses.push(e);
          else events.push(e);
        }
      } catch {
        /* aborted at the end */
      }
    })();
    await waitFor(async () => (await app.client.system.diagnostics()).activeStreams >= 1, 'event stream');
    // Docker needs the subscription in place: make sure one event flows before cutting.
    const run = (name: string) => s.exec(['docker', 'run', '--name', name, BUSYBOX_TAG, 'true'], { check: true });
    // The subscription is opened through SSH after the stream is registered; a container that exits before the
    // engine has subscribed is never reported. Run warm-ups until one is seen (bounded).
    let live = false;
    for (let i = 0; i < 8 && !live; i++) {
      await run(`warm-up-${i}`);
      live = await waitFor(() => events.some((e) => e.name === `warm-up-${i}` && e.action === 'die'), 'warm-up', 5_000).then(
        () => true,
        () => false,
      );
    }
    expect(live, 'the engine subscription to be live').toBe(true);
    await run('before-cut');
    await waitFor(() => events.some((e) => e.name === 'before-cut' && e.action === 'die'), 'events before the cut', 20_000);

    await s.cutLink();
    const cutAt = Date.now();
    // A request made while the link is down fails with an error or succeeds after the reconnect; it never hangs.
    const during = app.client.servers.containers({ id: serverId }).then(
      (list) => ({ ok: true as const, n: list.length }),
      (e: { code?: string }) => ({ ok: false as const, code: e.code }),
    );
    await run('during-cut-1');
    await run('during-cut-2');
    await new Promise((r) => setTimeout(r, Math.max(0, 10_000 - (Date.now() - cutAt))));
    await s.restoreLink();

    await waitFor(() => events.some((e) => e.name === 'during-cut-2' && e.action === 'die'), 'events from the cut, after reconnect', 60_000);
    await run('after-cut');
    await waitFor(() => events.some((e) => e.name === 'after-cut' && e.action === 'die'), 'events after the cut', 30_000);
    const outcome = await during;
    if (!outcome.ok) expect(outcome.code).toMatch(/CONNECT_FAILED|TIMEOUT|INTERNAL/);

    ac.abort();
    await consumer;

    // Every container event exactly once, in engine order.
    const containerEvents = events.filter((e) => e.name && ['before-cut', 'during-cut-1', 'during-cut-2', 'after-cut'].includes(e.name));
    const keys = containerEvents.map((e) => `${e.timeNano}/${e.id}/${e.action}`);
    expect(new Set(keys).size).toBe(keys.length);
    for (const name of ['before-cut', 'during-cut-1', 'during-cut-2', 'after-cut']) {
      const actions = containerEvents.filter((e) => e.name === name).map((e) => e.action);
      expect(actions, name).toEqual(expect.arrayContaining(['create', 'start', 'die']));
      expect(actions.filter((a) => a === 'start'), name).toHaveLength(1);
    }
    const nanos = containerEvents.map((e) => BigInt(e.timeNano));
    expect(nanos.every((n, i) => i === 0 || n >= nanos[i - 1]!)).toBe(true);
    // The caller was told: reconnecting (transient), then live again, and nothing else.
    expect(statuses.map((st) => st.state)).toContain('reconnecting');
    expect(statuses.at(-1)?.state).toBe('live');
    expect(statuses.filter((st) => st.state === 'reconnecting').every((st) => st.errorCode && st.errorCode !== 'DOCKER_UNAVAILABLE')).toBe(true);
    // The connection really dropped and came back on its own.
    expect(states).toContain('reconnecting');
    expect(states.at(-1)).toBe('ready');
    expect(app.services.pool.peek(serverId)!.generation).toBeGreaterThanOrEqual(2);
  });
});
