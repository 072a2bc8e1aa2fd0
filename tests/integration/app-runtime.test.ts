import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LogBatch } from '../../src/shared/contract/index.ts';
import { BUSYBOX_TAG, Testbed, type TestServer } from '../testbed/index.ts';
import { rpcError, startTestApp, waitFor, type TestApp } from '../helpers/app.ts';
import { addServer } from '../helpers/servers.ts';

// An app's runtime, actions and logs follow its live container by its labels: containers are started here with the
// labels a deploy gives them (openpanel.app, openpanel.deploy), replaced the way a deploy replaces them.
describe('app runtime, actions and logs across containers (real sshd + dockerd)', () => {
  let bed: Testbed;
  let app: TestApp;
  let s: TestServer;
  let serverId: string;
  let appId: string;

  const run = async (name: string, deployId: string, script: string) =>
    (await s.exec(['docker', 'run', '-d', '--name', name, '--label', `openpanel.app=${appId}`, '--label', `openpanel.deploy=${deployId}`, BUSYBOX_TAG, 'sh', '-c', script], { check: true })).stdout.trim();
  const inspect = async (name: string, format: string) => (await s.exec(['docker', 'inspect', '-f', format, name], { check: true })).stdout.trim();

  beforeAll(async () => {
    bed = await Testbed.create({ prefix: 'apprt' });
    s = await bed.addServer({ name: 'apprt', images: ['busybox'] });
    app = await startTestApp();
    serverId = (await addServer(app.client, s, { name: 'apprt' })).id;
    appId = (await app.client.apps.create({ name: 'rt', serverId, source: { kind: 'git', url: 'https://example.invalid/rt.git', branch: 'main' }, port: 8080, domains: [{ host: 'rt.test', tls: false }] })).id;
  }, 120_000);
  afterAll(async () => {
    await app?.close();
    await bed?.teardown();
  });

  it('without a container: nothing live, and the actions say to deploy first', async () => {
    const rt = await app.client.apps.runtime({ id: appId });
    expect(rt).toMatchObject({ container: null, live: null, liveSince: null, routes: [{ url: 'http://rt.test', status: null, error: 'the app is not running' }] });
    const e = await rpcError(app.client.apps.control({ id: appId, action: 'restart' }));
    expect(e.code).toBe('NOT_FOUND');
    expect(e.message).toContain('rt has no container on its server (deploy it first)');
  });

  it('finds the running container by its labels; the proxy check reports that nothing answers', async () => {
    const id = await run('op-rt-d1', 'd1', 'echo one; trap "exit 0" TERM; while :; do sleep 1; done');
    const rt = await app.client.apps.runtime({ id: appId });
    expect(rt.container).toMatchObject({ id, name: 'op-rt-d1', state: 'running', health: 'none', deployId: 'd1', exitCode: null });
    // d1 is not in the history (no deploy ran): the container's start is the "since"
    expect(rt.live).toBeNull();
    expect(rt.liveSince).toBe(Date.parse(await inspect(id, '{{.State.StartedAt}}')));
    // no proxy on this server: the check through port 80 fails, with the reason
    expect(rt.routes).toHaveLength(1);
    expect(rt.routes[0]!.status).toBeNull();
    expect(rt.routes[0]!.error).toBeTruthy();
  });

  it('restart changes StartedAt, stop leaves it exited, start runs it again', async () => {
    const started = await inspect('op-rt-d1', '{{.State.StartedAt}}');
    const restarted = await app.client.apps.control({ id: appId, action: 'restart' });
    expect(restarted.container!.state).toBe('running');
    expect(await inspect('op-rt-d1', '{{.State.StartedAt}}')).not.toBe(started);
    expect(restarted.container!.startedAt).toBe(Date.parse(await inspect('op-rt-d1', '{{.State.StartedAt}}')));
    const stopped = await app.client.apps.control({ id: appId, action: 'stop' });
    expect(await inspect('op-rt-d1', '{{.State.Status}}')).toBe('exited');
    expect(stopped.container).toMatchObject({ state: 'exited', exitCode: 0 });
    expect(stopped.routes[0]!.error).toBe('the app is not running');
    const again = await app.client.apps.control({ id: appId, action: 'start' });
    expect(await inspect('op-rt-d1', '{{.State.Status}}')).toBe('running');
    expect(again.container!.state).toBe('running');
  }, 60_000);

  it('logs.followApp goes on with the next container when a deploy replaces the live one', async () => {
    const flowId = randomUUID();
    const ac = new AbortController();
    const it = await app.client.logs.followApp({ serverId, appId, flowId, tail: 100 }, { signal: ac.signal });
    const batches: LogBatch[] = [];
    const texts: string[] = [];
    const reading = (async () => {
      for await (const b of it) {
        batches.push(b);
        texts.push(...b.lines.map((l) => l[3]));
        await app.client.logs.ack({ flowId, seq: b.seq });
      }
    })().catch((e: unknown) => (ac.signal.aborted ? undefined : Promise.reject(e)));
    try {
      await waitFor(() => texts.includes('one'), 'the first container line', 20_000, 100);
      // a deploy: the new container starts, then the old one is removed
      await run('op-rt-d2', 'd2', 'echo two; trap "exit 0" TERM; while :; do sleep 1; done');
      await s.exec(['docker', 'rm', '-f', 'op-rt-d1'], { check: true });
      expect((await s.exec(['docker', 'inspect', 'op-rt-d1'])).code).not.toBe(0); // really gone
      await waitFor(() => texts.includes('two'), 'the next container line in the same stream', 30_000, 100);
      const names = batches.flatMap((b) => b.containers?.map((c) => c.name) ?? []);
      expect(names).toEqual(['op-rt-d1', 'op-rt-d2']);
      // one seq numbering across the containers, so the same flow's acks keep working
      const seqs = batches.map((b) => b.seq);
      expect(seqs).toEqual(seqs.map((_, i) => i));
      expect(batches.every((b) => b.ended.length === 0)).toBe(true);
      expect((await app.client.apps.runtime({ id: appId })).container).toMatchObject({ name: 'op-rt-d2', deployId: 'd2' });
    } finally {
      ac.abort();
      await reading;
    }
  }, 90_000);

  it('refuses an app of another server, naming the field', async () => {
    const e = await rpcError(app.client.logs.followApp({ serverId: randomUUID(), appId, flowId: randomUUID() }));
    expect(e.code).toBe('INPUT_INVALID');
    expect(e.message).toContain('appId: the app rt is on another server');
  });
});
