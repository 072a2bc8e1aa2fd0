import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Container } from '../../src/shared/contract/containers.ts';
import { BUSYBOX_TAG, Testbed, type TestServer } from '../testbed/index.ts';
import { rpcError, startTestApp, waitFor, type TestApp } from '../helpers/app.ts';
import { addServer } from '../helpers/servers.ts';

describe('containers, images, volumes, networks on real Docker engines, live from events', () => {
  let bed: Testbed;
  let app: TestApp;
  let s1: TestServer;
  let s2: TestServer;
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    bed = await Testbed.create();
    [s1, s2] = (await bed.addServers([{ name: 'c1', images: ['busybox'] }, { name: 'c2', images: ['busybox'] }])) as [TestServer, TestServer];
    app = await startTestApp();
    ids.c1 = (await addServer(app.client, s1, { name: 'c1' })).id;
    ids.c2 = (await addServer(app.client, s2, { name: 'c2' })).id;
    // Unmanaged containers, made outside OpenPanel.
    await s1.exec(['docker', 'run', '-d', '--name', 'web', '-e', 'DB_PASSWORD=hunter2', '-p', '8080:80', BUSYBOX_TAG, 'httpd', '-f', '-p', '80'], { check: true });
    await s2.exec(['docker', 'create', '--name', 'idle', '--stop-timeout', '1', BUSYBOX_TAG, 'sleep', '1000'], { check: true });
  });
  afterAll(async () => {
    await app?.close();
    await bed?.teardown();
  });

  it('lists containers across servers with state, image and ports', async () => {
    const { containers, errors } = await app.client.containers.list({});
    expect(errors).toEqual([]);
    const web = containers.find((c) => c.name === 'web')!;
    expect(web).toMatchObject({ serverId: ids.c1, image: BUSYBOX_TAG, state: 'running', managed: false, health: 'none' });
    expect(web.ports).toEqual(expect.arrayContaining([expect.objectContaining({ privatePort: 80, publicPort: 8080, type: 'tcp' })]));
    expect(containers.find((c) => c.name === 'idle')).toMatchObject({ serverId: ids.c2, state: 'created' });
  });

  it('drives every action and sees each state change arrive as an event', async () => {
    const ac = new AbortController();
    const seen: { serverId: string; containers: Container[] }[] = [];
    const stream = await app.client.containers.watch({ serverIds: [ids.c2!] }, { signal: ac.signal });
    const consumer = (async () => {
      try {
        for await (const change of stream) seen.push(change);
      } catch {
        /* aborted */
      }
    })();
    const stateOf = (name: string) => seen.at(-1)?.containers.find((c) => c.name === name)?.state;
    await waitFor(() => stateOf('idle') === 'created', 'initial list');
    const id = seen.at(-1)!.containers.find((c) => c.name === 'idle')!.id;
    const act = (action: 'start' | 'stop' | 'restart' | 'kill' | 'remove', extra = {}) => app.client.containers.action({ serverId: ids.c2!, id, action, ...extra });

    await act('start');
    await waitFor(() => stateOf('idle') === 'running', 'running after start');
    await act('restart');
    await waitFor(async () => (await s2.exec(['docker', 'inspect', '-f', '{{.RestartCount}} {{.State.Running}}', 'idle'])).stdout.trim().endsWith('true'), 'restarted');
    await act('kill');
    await waitFor(() => stateOf('idle') === 'exited', 'exited after kill');
    await act('start');
    await waitFor(() => stateOf('idle') === 'running', 'running again');
    await act('stop');
    await waitFor(() => stateOf('idle') === 'exited', 'exited after stop');
    await app.client.containers.rename({ serverId: ids.c2!, id, name: 'renamed-idle' });
    await waitFor(() => stateOf('renamed-idle') === 'exited', 'renamed');
    expect(await rpcError(app.client.containers.rename({ serverId: ids.c2!, id, name: 'bad name; rm -rf /' }))).toMatchObject({ code: 'INPUT_INVALID', message: expect.stringMatching(/name/) });
    await act('remove');
    await waitFor(() => seen.at(-1)!.containers.every((c) => c.id !== id), 'removed');
    expect(await rpcError(act('start'))).toMatchObject({ code: 'NOT_FOUND' });
    ac.abort();
    await consumer;
    // Every action was audited.
    const audit = await app.client.activity.list({ limit: 50, action: 'containers.' });
    expect(audit.filter((a) => a.action === 'containers.action').length).toBeGreaterThanOrEqual(7);
  });

  it('masks environment values unless revealed, and audits the reveal', async () => {
    const masked = await app.client.containers.inspect({ serverId: ids.c1!, id: 'web' });
    const env = masked.env.find((e) => e.name === 'DB_PASSWORD')!;
    expect(env).toEqual({ name: 'DB_PASSWORD', value: null, masked: true });
    expect(JSON.stringify(masked)).not.toContain('hunter2');
    expect(masked.ports).toEqual(expect.arrayContaining([expect.objectContaining({ privatePort: 80, publicPort: 8080 })]));
    const shown = await app.client.containers.inspect({ serverId: ids.c1!, id: 'web', reveal: true });
    expect(shown.env.find((e) => e.name === 'DB_PASSWORD')?.value).toBe('hunter2');
    const [entry] = await app.client.activity.list({ limit: 1, action: 'containers.revealEnv' });
    expect(entry?.target).toBe('web');
    expect(entry?.input).not.toContain('hunter2');
  });

  it('lists images, volumes and networks, previews what a prune frees, then prunes exactly that', async () => {
    await s1.sh(`docker volume create keep && docker volume create scratch && docker run --rm -v scratch:/data ${BUSYBOX_TAG} sh -c 'head -c 3000000 /dev/zero > /data/blob' && docker run -d --name user -v keep:/data ${BUSYBOX_TAG} sleep 1000 && docker network create lonely`, { check: true });
    // A dangling image: tag a copy, then take the tag away by re-tagging another image.
    await s1.sh(`printf 'FROM ${BUSYBOX_TAG}\\nRUN head -c 2000000 /dev/urandom > /blob\\n' | DOCKER_BUILDKIT=0 docker build -q -t dangling:1 - >/dev/null && docker tag ${BUSYBOX_TAG} dangling:1`, { check: true });

    const images = await app.client.containers.images({ serverId: ids.c1! });
    expect(images.find((i) => i.tags.includes(BUSYBOX_TAG))?.containers).toBeGreaterThan(0);
    const volumes = await app.client.containers.volumes({ serverId: ids.c1! });
    expect(volumes.find((v) => v.name === 'scratch')).toMatchObject({ refCount: 0 });
    expect(volumes.find((v) => v.name === 'keep')).toMatchObject({ refCount: 1 });
    const networks = await app.client.containers.networks({ serverId: ids.c1! });
    expect(networks.find((n) => n.name === 'bridge')?.builtin).toBe(true);

    const imgPreview = await app.client.containers.prunePreview({ serverId: ids.c1!, kind: 'images' });
    expect(imgPreview.items).toHaveLength(1);
    expect(imgPreview.reclaimableBytes).toBeGreaterThan(1_900_000);
    const imgPruned = await app.client.containers.prune({ serverId: ids.c1!, kind: 'images' });
    expect(imgPruned.removed.some((r) => r.includes(imgPreview.items[0]!.replace(/^sha256:/, '')))).toBe(true);

    // An unused anonymous volume (1 MB) goes with every engine's volume prune; the unused named 'scratch' (3 MB) only
    // with engines before API 1.42, which prune named volumes too; 'keep' is in use.
    const anon = (await s1.sh(`v=$(docker volume create) && docker run --rm -v $v:/data ${BUSYBOX_TAG} sh -c 'head -c 1000000 /dev/zero > /data/blob' && echo $v`, { check: true })).stdout.trim();
    expect(anon).toMatch(/^[0-9a-f]{64}$/);
    const namedToo = Number((await s1.exec(['docker', 'version', '--format', '{{.Server.APIVersion}}'], { check: true })).stdout.trim()) < 1.42;
    const prunable = namedToo ? [anon, 'scratch'].sort() : [anon];
    const minBytes = namedToo ? 4_000_000 : 1_000_000;
    const volPreview = await app.client.containers.prunePreview({ serverId: ids.c1!, kind: 'volumes' });
    expect(volPreview.items.sort()).toEqual(prunable);
    expect(volPreview.reclaimableBytes).toBeGreaterThanOrEqual(minBytes);
    expect(volPreview.reclaimableBytes).toBeLessThan(minBytes + 500_000);
    const volPruned = await app.client.containers.prune({ serverId: ids.c1!, kind: 'volumes' });
    expect(volPruned.removed.sort()).toEqual(prunable);
    expect(volPruned.reclaimedBytes).toBeGreaterThanOrEqual(minBytes);
    const left = (await s1.exec(['docker', 'volume', 'ls', '-q'], { check: true })).stdout.split('\n').filter(Boolean);
    expect(left).toContain('keep');
    expect(left).not.toContain(anon);
    expect(left.includes('scratch')).toBe(!namedToo);

    // Single removals: a volume, an image, a network (and Docker's refusal for one in use, with its reason).
    await s1.sh(`docker volume create one-off && docker network create one-net && docker tag ${BUSYBOX_TAG} extra:tag`, { check: true });
    expect(await app.client.containers.removeVolume({ serverId: ids.c1!, name: 'one-off' })).toEqual({ ok: true });
    expect(await app.client.containers.removeImage({ serverId: ids.c1!, id: 'extra:tag' })).toEqual({ ok: true });
    const oneNet = (await app.client.containers.networks({ serverId: ids.c1! })).find((n) => n.name === 'one-net')!;
    expect(await app.client.containers.removeNetwork({ serverId: ids.c1!, id: oneNet.id })).toEqual({ ok: true });
    expect(await rpcError(app.client.containers.removeVolume({ serverId: ids.c1!, name: 'keep' }))).toMatchObject({ code: 'CONFLICT', message: expect.stringMatching(/in use/) });
    const names = (await app.client.containers.volumes({ serverId: ids.c1! })).map((v) => v.name);
    expect(names).not.toContain('one-off');
    expect((await app.client.containers.images({ serverId: ids.c1! })).some((i) => i.tags.includes('extra:tag'))).toBe(false);

    const netPreview = await app.client.containers.prunePreview({ serverId: ids.c1!, kind: 'networks' });
    expect(netPreview.items).toEqual(['lonely']);
    expect((await app.client.containers.prune({ serverId: ids.c1!, kind: 'networks' })).removed).toEqual(['lonely']);
  });
});
