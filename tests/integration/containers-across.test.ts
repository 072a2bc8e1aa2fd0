import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUSYBOX_TAG, Testbed, type TestServer } from '../testbed/index.ts';
import { startTestApp, waitFor, type TestApp } from '../helpers/app.ts';
import { addServer } from '../helpers/servers.ts';

// One real server and one record nothing answers for (127.0.0.1:1): the lists across servers keep the good one.
describe('containers across servers when one is unreachable (real sshd + dockerd)', () => {
  let bed: Testbed;
  let app: TestApp;
  let s: TestServer;
  let good: string;
  let dead: string;

  beforeAll(async () => {
    bed = await Testbed.create({ prefix: 'across' });
    s = await bed.addServer({ name: 'across', images: ['busybox'] });
    app = await startTestApp();
    good = (await addServer(app.client, s, { name: 'good' })).id;
    dead = (await app.client.servers.create({ name: 'dead', host: '127.0.0.1', port: 1, username: 'op', auth: { method: 'password', password: 'pw' } })).id;
    await s.exec(['docker', 'run', '-d', '--name', 'alive', BUSYBOX_TAG, 'sleep', '3600'], { check: true });
  });
  afterAll(async () => {
    await app?.close();
    await bed?.teardown();
  });

  it('lists what the reachable server has and names the one that failed, with its code', async () => {
    const { containers, errors } = await app.client.containers.list({});
    expect(containers.map((c) => [c.serverId, c.name])).toEqual([[good, 'alive']]);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ serverId: dead, code: 'CONNECT_FAILED' });
    expect(errors[0]!.message).toMatch(/dead|127\.0\.0\.1/);
  });

  it('watches the reachable server live while the other drops out', async () => {
    const ac = new AbortController();
    const seen: { serverId: string; names: string[] }[] = [];
    const run = (async () => {
      for await (const change of await app.client.containers.watch({}, { signal: ac.signal })) seen.push({ serverId: change.serverId, names: change.containers.map((c) => c.name) });
    })().catch(() => {});
    await waitFor(() => seen.some((c) => c.serverId === good && c.names.includes('alive')), 'the first list of the good server');
    await s.exec(['docker', 'run', '-d', '--name', 'later', BUSYBOX_TAG, 'sleep', '3600'], { check: true });
    await waitFor(() => seen.some((c) => c.names.includes('later')), 'a change on the good server', 20_000);
    expect(seen.every((c) => c.serverId === good)).toBe(true);
    ac.abort();
    await run;
    await waitFor(async () => (await app.client.system.diagnostics()).activeStreams === 0, 'the watch to end on the server');
  });
});
