import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LogBatch } from '../../src/shared/contract/index.ts';
import { BUSYBOX_TAG, Testbed, type TestServer } from '../testbed/index.ts';
import { rpcError, startTestApp, type TestApp } from '../helpers/app.ts';
import { addServer } from '../helpers/servers.ts';

type Line = LogBatch['lines'][number];

/** logs.follow through container restarts and across servers, against real engines. */
describe('logs.follow: restarts and several servers (real sshd + dockerd)', () => {
  let bed: Testbed;
  let app: TestApp;
  let p: TestServer;
  let q: TestServer;
  let idP: string;
  let idQ: string;

  beforeAll(async () => {
    bed = await Testbed.create({ prefix: 'lgrst' });
    const servers = await bed.addServers([
      { name: 'lgrst-p', images: ['busybox'] },
      { name: 'lgrst-q', images: ['busybox'] },
    ]);
    p = servers[0]!;
    q = servers[1]!;
    app = await startTestApp();
    idP = (await addServer(app.client, p, { name: 'lgrst-p' })).id;
    idQ = (await addServer(app.client, q, { name: 'lgrst-q' })).id;
  }, 120_000);
  afterAll(async () => {
    await app?.close();
    await bed?.teardown();
  });

  it('re-attaches after each restart with a marker, repeats nothing, and ends once the container is removed', async () => {
    const run = 'id=$(cat /proc/sys/kernel/random/uuid); echo "run $id"; sleep 1; echo "bye $id"; exit 2';
    await p.exec(['docker', 'run', '-d', '--name', 'loop', '--restart', 'always', BUSYBOX_TAG, 'sh', '-c', run], { check: true });
    const flowId = randomUUID();
    const ac = new AbortController();
    const timer = setTimeout(() => ac.abort(), 90_000);
    const lines: Line[] = [];
    const ended: number[] = [];
    let removed = false;
    try {
      for await (const b of await app.client.logs.follow({ serverId: idP, containerIds: ['loop'], tail: 0, flowId }, { signal: ac.signal })) {
        lines.push(...b.lines);
        ended.push(...b.ended);
        await app.client.logs.ack({ flowId, seq: b.seq });
        if (!removed && lines.filter((l) => l[1] === 2).length >= 2) {
          removed = true;
          await p.exec(['docker', 'rm', '-f', 'loop'], { check: true });
        }
      }
    } finally {
      clearTimeout(timer);
    }
    // The stream ended by itself (the container was removed), not by the test's time limit.
    expect(ac.signal.aborted).toBe(false);
    expect(removed).toBe(true);
    expect(ended).toEqual([0]);
    const markers = lines.flatMap((l, i) => (l[1] === 2 ? [i] : []));
    expect(markers.length).toBeGreaterThanOrEqual(2);
    for (const i of markers) {
      expect(lines[i]![3]).toBe('loop restarted');
      expect(lines[i]![2]).toBeGreaterThan(0);
      // The run before the marker said goodbye; the one after it starts.
      expect(lines[i - 1]?.[3] ?? '').toMatch(/^bye /);
      expect(lines[i + 1]?.[3] ?? '').toMatch(/^run /);
    }
    const runs = lines.filter((l) => l[3].startsWith('run ')).map((l) => l[3]);
    expect(new Set(runs).size).toBe(runs.length);
  }, 120_000);

  it('without follow, a stopped container ends the stream as before (no waiting for a restart)', async () => {
    await p.exec(['docker', 'run', '-d', '--name', 'once', BUSYBOX_TAG, 'sh', '-c', 'echo only'], { check: true });
    const flowId = randomUUID();
    const lines: Line[] = [];
    for await (const b of await app.client.logs.follow({ serverId: idP, containerIds: ['once'], follow: false, flowId })) lines.push(...b.lines);
    expect(lines.map((l) => l[3])).toEqual(['only']);
  }, 60_000);

  it('interleaves containers of two servers in one stream, named in the order asked for', async () => {
    await Promise.all([
      p.exec(['docker', 'run', '-d', '--name', 'left', BUSYBOX_TAG, 'sh', '-c', 'for i in 1 2 3; do echo "left $i"; sleep 0.2; done'], { check: true }),
      q.exec(['docker', 'run', '-d', '--name', 'right', BUSYBOX_TAG, 'sh', '-c', 'sleep 0.1; for i in 1 2 3; do echo "right $i"; sleep 0.2; done'], { check: true }),
    ]);
    await new Promise((r) => setTimeout(r, 1500));
    const flowId = randomUUID();
    const batches: LogBatch[] = [];
    for await (const b of await app.client.logs.follow({ serverId: idP, containerIds: ['left'], also: [{ serverId: idQ, containerIds: ['right'] }], follow: false, flowId })) batches.push(b);
    expect(batches[0]!.containers!.map((c) => c.name)).toEqual(['left', 'right']);
    const lines = batches.flatMap((b) => b.lines);
    // Both servers' lines, each container's in its order, all of them interleaved by time.
    expect(lines.filter((l) => l[0] === 0).map((l) => l[3])).toEqual(['left 1', 'left 2', 'left 3']);
    expect(lines.filter((l) => l[0] === 1).map((l) => l[3])).toEqual(['right 1', 'right 2', 'right 3']);
    const times = lines.map((l) => l[2]!);
    expect(times).toEqual([...times].sort((x, y) => x - y));
  }, 60_000);

  it('refuses more than 16 containers across servers, naming the field', async () => {
    const e = await rpcError(
      app.client.logs.follow({ serverId: idP, containerIds: Array.from({ length: 10 }, (_, i) => `c${i}`), also: [{ serverId: idQ, containerIds: Array.from({ length: 7 }, (_, i) => `d${i}`) }], flowId: randomUUID() }),
    );
    expect(e.code).toBe('INPUT_INVALID');
    expect(e.message).toMatch(/also: expected at most 16 containers at once/);
    const empty = await rpcError(app.client.logs.follow({ serverId: idP, containerIds: ['x'], also: [{ serverId: idQ, containerIds: [] }], flowId: randomUUID() }));
    expect(empty.code).toBe('INPUT_INVALID');
    expect(empty.message).toContain('also');
  }, 30_000);
});
