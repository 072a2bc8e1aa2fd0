import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StackJob, StackView } from '../../src/shared/contract/index.ts';
import { rpcError, startTestApp, waitFor, type TestApp } from '../helpers/app.ts';
import { CANARY, canaries, hostileVariants, removeCanaries } from '../helpers/hostile.ts';
import { loadRegistryStandin, registryImageMapping } from '../helpers/registry-standin.ts';
import { addServer } from '../helpers/servers.ts';
import { BUSYBOX_TAG, Testbed, type TestServer } from '../testbed/index.ts';

/** Inside the bed's /16 and clear of its links and Docker ranges (as in cluster.test.ts). */
const POOL = '10.231.240.0/20';
const WEB = 'openpanel-test/stackweb';
/** Debian with the docker CLI, standing in for docker:27-cli (the builder runs the stack job). */
const BUILDER = 'openpanel-test/builder:latest';
const HOSTILE = `$(touch ${CANARY})`;
/** The private registry's port on a (unique to this file: the CA file in the shared /etc is per host:port). */
const REG_PORT = 5471;
/** As written in a Compose file: `$$` is a literal `$` (a lone `$(` is an interpolation error). */
const HOSTILE_IN_FILE = HOSTILE.replaceAll('$', '$$$$');

let bed: Testbed;
let servers: TestServer[];
let app: TestApp;
let dataDir = '';
const ids: Record<string, string> = {};
let clusterId = '';
let registryId = '';
let registryHost = '';

/** v1 and v2 serve "<version> <hostname>" on 8080 (a task's hostname, so replicas can be told apart). */
async function makeImages(s: TestServer): Promise<void> {
  const cmd = JSON.stringify(['sh', '-c', 'echo "$(cat /version) $(hostname)" > /www/index.html && exec httpd -f -p 8080 -h /www']);
  for (const tag of ['v1', 'v2']) {
    const name = `mk-${tag}`;
    await s.exec(['docker', 'run', '--name', name, BUSYBOX_TAG, 'sh', '-c', `mkdir -p /www && echo ${tag} > /version`], { check: true });
    await s.exec(['docker', 'commit', '--change', `CMD ${cmd}`, name, `${WEB}:${tag}`], { check: true });
    await s.exec(['docker', 'rm', name], { check: true });
  }
}

/** web (2 replicas) and a worker (2 replicas) whose env and labels carry `version`; extra lines go under web. */
const composeOf = (tag: string, version: string, webExtra = '') => `version: "3.8"
services:
  web:
    image: ${tag.includes('/') ? tag : `${WEB}:${tag}`}
    stop_grace_period: 1s
    deploy:
      replicas: 2${webExtra}
  worker:
    image: ${BUSYBOX_TAG}
    command: ["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 1; done"]
    stop_grace_period: 1s
    environment:
      VERSION: "${version}"
      HOSTILE: '${HOSTILE_IN_FILE}'
    labels:
      note: '${HOSTILE_IN_FILE}'
    deploy:
      replicas: 2
`;

const get = () => app.client.clusterStacks.get({ clusterId, name: 'shop' });

/** Follows a deploy's job until it ends (bounded); fails the test if it is still running then. */
async function finished(deployId: string, timeoutMs = 180_000): Promise<StackJob> {
  return waitFor(
    async () => {
      const j = await app.client.clusterStacks.job({ clusterId, name: 'shop', deployId });
      return j.status === 'running' ? null : j;
    },
    `deploy ${deployId} to end`,
    timeoutMs,
    500,
  );
}

/** A worker container of the stack on any node: [server, container id]. */
async function workerContainer(): Promise<[TestServer, string]> {
  for (const s of servers) {
    const id = (await s.exec(['docker', 'ps', '-q', '--filter', 'label=com.docker.swarm.service.name=shop_worker'], { check: true })).stdout.trim().split('\n')[0];
    if (id) return [s, id];
  }
  throw new Error('no worker container runs on any node');
}

/** What web answers through `tasks.web` (dnsrr) from inside a worker container: the version word. */
async function webVersion(): Promise<string> {
  const [s, id] = await workerContainer();
  const r = await s.exec(['docker', 'exec', id, 'sh', '-c', 'printf "GET / HTTP/1.0\\r\\n\\r\\n" | nc -w 3 tasks.web 8080'], { check: true });
  return (r.stdout.trim().split('\n').pop() ?? '').split(' ')[0] ?? '';
}

/** Waits until web answers `version` through tasks.web (Swarm's DNS follows a rollout a moment later), bounded. */
async function serving(version: string): Promise<void> {
  await waitFor(async () => ((await webVersion().catch(() => '')) === version ? true : null), `web to answer ${version}`, 30_000, 500);
}

const svc = (v: StackView, name: string) => {
  const s = v.services.find((x) => x.service === name);
  if (!s) throw new Error(`no service ${name} in ${JSON.stringify(v.services.map((x) => x.name))}`);
  return s;
};

async function specOf(service: string): Promise<{ Labels: Record<string, string>; EndpointSpec: { Mode: string }; TaskTemplate: { ContainerSpec: { Image: string; Env?: string[]; Labels?: Record<string, string> } } }> {
  const a = servers[0] as TestServer;
  return JSON.parse((await a.exec(['docker', 'service', 'inspect', service, '--format', '{{json .Spec}}'], { check: true })).stdout);
}

beforeAll(async () => {
  bed = await Testbed.create({ prefix: 'cstack' });
  servers = await bed.addServers([
    { name: 'a', images: ['busybox'] },
    { name: 'b', images: ['busybox'] },
    { name: 'c', images: ['busybox'] },
  ]);
  dataDir = mkdtempSync(join(tmpdir(), 'openpanel-stacks-'));
  app = await startTestApp({ dataDir });
  const [a, b, c] = servers as [TestServer, TestServer, TestServer];
  await Promise.all([...servers.map(makeImages), a.loadImage('debian', { packages: ['git', 'docker.io', 'openssh-client'], tag: BUILDER }).then(() => loadRegistryStandin(a))]);
  for (const s of servers) ids[s.name] = (await addServer(app.client, s, { name: s.name })).id;
  await app.client.proxy.updateSettings({ serverId: ids[a.name] as string, settings: { imageOverrides: { prefix: null, images: { 'docker:27-cli': BUILDER, ...registryImageMapping() } } } });
  const created = await app.client.cluster.create({
    name: 'stacks',
    members: [
      { serverId: ids[a.name] as string, role: 'manager' },
      { serverId: ids[b.name] as string, role: 'worker' },
      { serverId: ids[c.name] as string, role: 'worker' },
    ],
    addrPool: POOL,
  });
  clusterId = created.id;
  expect(created.nodes).toHaveLength(3);
  const registry = await app.client.registry.createPrivate({ name: 'stk', serverId: ids[a.name] as string, clusterId, port: REG_PORT });
  expect(registry.nodes.every((n) => n.ok)).toBe(true);
  registryId = registry.registry.id;
  registryHost = registry.registry.host;
}, 300_000);

afterAll(async () => {
  await app?.close();
  await servers?.[0]?.exec(['rm', '-rf', `/etc/docker/certs.d/${servers[0].host}:${REG_PORT}`]).catch(() => undefined);
  await bed?.teardown();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

describe('Compose stacks on a cluster', () => {
  it('refuses hostile stack names and Compose values naming the field; nothing reaches a node', async () => {
    const a = servers[0] as TestServer;
    await a.exec(['touch', `${CANARY}-control`], { check: true });
    expect(await canaries(a)).toEqual([`${CANARY}-control`]);
    await removeCanaries(a);
    for (const { value } of hostileVariants().filter((_, i) => i % 3 === 0)) {
      const v = JSON.stringify(value);
      const cases: [string, () => Promise<unknown>][] = [
        ['name', () => app.client.clusterStacks.deploy({ clusterId, name: value, compose: composeOf('v1', '1') })],
        ['compose.services.web.image', () => app.client.clusterStacks.deploy({ clusterId, name: 'shop', compose: `services:\n  web:\n    image: ${v}\n` })],
        ['compose.services.', () => app.client.clusterStacks.deploy({ clusterId, name: 'shop', compose: `services:\n  ${v}:\n    image: x\n` })],
        ['compose.services.web.deploy.replicas', () => app.client.clusterStacks.deploy({ clusterId, name: 'shop', compose: `services:\n  web:\n    image: x\n    deploy:\n      replicas: ${v}\n` })],
      ];
      for (const [field, call] of cases) {
        const e = await rpcError(call());
        expect(e.code, `${field} ← ${v}`).toBe('INPUT_INVALID');
        expect(e.message, `${field} ← ${v}`).toContain(field);
      }
    }
    const build = await rpcError(app.client.clusterStacks.deploy({ clusterId, name: 'shop', compose: 'services:\n  web:\n    build: .\n    image: x\n' }));
    expect(build.message).toContain('compose.services.web.build: a stack on a cluster only runs images: build the image with the builder (registry.buildAndPush)');
    const ingress = await rpcError(app.client.clusterStacks.deploy({ clusterId, name: 'shop', compose: composeOf('v1', '1', '\n    ports: ["8080:8080"]') }));
    expect(ingress.message).toContain('compose.services.web.ports[0]: expected the long syntax with mode: host');
    const lol = ['a0: &a0 [x, x, x, x, x, x, x, x, x, x]', ...Array.from({ length: 8 }, (_, i) => `a${i + 1}: &a${i + 1} [${Array(10).fill(`*a${i}`).join(', ')}]`)];
    const alias = await rpcError(app.client.clusterStacks.deploy({ clusterId, name: 'shop', compose: `${lol.join('\n')}\nservices:\n  web: {image: x}\n` }));
    expect(alias.message).toContain('expected aliases that do not expand into a huge file');
    for (const s of servers) expect(await canaries(s)).toEqual([]);
    expect((await a.exec(['docker', 'service', 'ls', '-q'], { check: true })).stdout.trim()).toBe('');
    expect((await a.exec(['docker', 'config', 'ls', '-q'], { check: true })).stdout.trim()).toBe('');
  });

  let first = '';
  let second = '';

  it('deploys web + worker with replicas as a job: dnsrr, OpenPanel labels, web reached through tasks.web; hostile values stay data', async () => {
    const started = await app.client.clusterStacks.deploy({ clusterId, name: 'shop', compose: composeOf('v1', '1') });
    first = started.deployId;
    expect(started.view.deploys[0]).toMatchObject({ id: first, kind: 'deploy', result: 'running', serverId: ids.a });
    const job = await finished(first);
    expect(job.error, job.log).toBeNull();
    expect(job.status).toBe('succeeded');
    expect(job.log).toContain('Creating service shop_web');
    expect(job.log).toContain('Creating service shop_worker');
    const v = await get();
    expect(svc(v, 'web')).toMatchObject({ name: 'shop_web', desired: 2, running: 2, mode: 'replicated' });
    expect(svc(v, 'worker')).toMatchObject({ desired: 2, running: 2 });
    expect(svc(v, 'web').tasks.filter((t) => t.desired === 'running').every((t) => t.serverId !== null && t.image.startsWith(`${WEB}:v1`))).toBe(true);
    expect(v.deploys).toHaveLength(1);
    expect(v.deploys[0]).toMatchObject({ id: first, result: 'succeeded', compose: composeOf('v1', '1') });
    const web = await specOf('shop_web');
    expect(web.EndpointSpec.Mode).toBe('dnsrr');
    expect(web.Labels).toMatchObject({ 'dev.openpanel.managed': 'true', 'openpanel.stack': 'shop', 'openpanel.deploy': first });
    const worker = await specOf('shop_worker');
    expect(worker.TaskTemplate.ContainerSpec.Env).toEqual(expect.arrayContaining(['VERSION=1', `HOSTILE=${HOSTILE}`]));
    expect(worker.TaskTemplate.ContainerSpec.Labels).toMatchObject({ note: HOSTILE, 'openpanel.stack': 'shop' });
    const [s, container] = await workerContainer();
    const labels = JSON.parse((await s.exec(['docker', 'inspect', container, '--format', '{{json .Config.Labels}}'], { check: true })).stdout);
    expect(labels).toMatchObject({ 'dev.openpanel.managed': 'true', 'openpanel.stack': 'shop', note: HOSTILE });
    await serving('v1');
    for (const n of servers) expect(await canaries(n)).toEqual([]);
  }, 240_000);

  it('an update survives the app closing mid-job: the next app re-attaches and reads the whole log', async () => {
    const started = await app.client.clusterStacks.deploy({ clusterId, name: 'shop', compose: composeOf('v2', '2') });
    second = started.deployId;
    const busy = await rpcError(app.client.clusterStacks.deploy({ clusterId, name: 'shop', compose: composeOf('v2', '2') }));
    expect(busy.code).toBe('CONFLICT');
    const a = servers[0] as TestServer;
    const jobName = `openpanel-stack-job-${second}`;
    expect((await a.exec(['docker', 'ps', '-q', '--filter', `name=${jobName}`], { check: true })).stdout.trim()).not.toBe('');
    await app.close();
    // The app is gone; the job still runs on the manager.
    expect((await a.exec(['docker', 'ps', '-q', '--filter', `name=${jobName}`], { check: true })).stdout.trim()).not.toBe('');
    app = await startTestApp({ dataDir });
    const job = await finished(second);
    expect(job.status, job.log).toBe('succeeded');
    expect(job.log).toContain(`Job ${second} (deploy) of stack shop`);
    expect(job.log).toContain('Updating service shop_web');
    await serving('v2');
    expect((await specOf('shop_worker')).TaskTemplate.ContainerSpec.Env).toContain('VERSION=2');
    expect((await get()).deploys.map((d) => [d.id, d.result])).toEqual([[second, 'succeeded'], [first, 'succeeded']]);
    // A job that ended before this app started is read from the manager: its whole log.
    const old = await app.client.clusterStacks.job({ clusterId, name: 'shop', deployId: first });
    expect(old.status).toBe('succeeded');
    expect(old.log).toContain('Creating service shop_web');
    const big = await rpcError(app.client.clusterStacks.deploy({ clusterId, name: 'shop', compose: `services:\n  web:\n    image: x\nx-pad: "${'é'.repeat(140_000)}"\n` }));
    expect(big.message).toContain('compose: expected at most 262144 bytes');
  }, 240_000);

  it('a failing deploy ends with the error and the previous version keeps serving (missing image; compose rejected by docker)', async () => {
    const missing = await app.client.clusterStacks.deploy({ clusterId, name: 'shop', compose: composeOf('missing', '3') });
    const job = await finished(missing.deployId);
    expect(job.status, job.log).toBe('failed');
    expect(job.error).toMatch(/service shop_web: Swarm rolled the update back \(rollback_\w+\)/);
    await serving('v2');
    expect((await specOf('shop_web')).TaskTemplate.ContainerSpec.Image).toMatch(new RegExp(`^${WEB}:v2`));
    const rejected = await app.client.clusterStacks.deploy({ clusterId, name: 'shop', compose: composeOf('v1', '4', '\n      resources:\n        limits:\n          memory: lots') });
    const refused = await finished(rejected.deployId);
    expect(refused.status).toBe('failed');
    expect(refused.error).toContain('docker stack deploy refused the stack');
    expect(refused.log.toLowerCase()).toContain('lots');
    await serving('v2');
    const v = await get();
    expect(v.deploys.map((d) => [d.id, d.result])).toEqual([[rejected.deployId, 'failed'], [missing.deployId, 'failed'], [second, 'succeeded'], [first, 'succeeded']]);
    expect(v.deploys[1]?.error).toContain('rolled the update back');
  }, 240_000);

  it('images from the private registry: without its credentials the nodes cannot pull (rolled back), with registryId every node pulls', async () => {
    const unknown = await rpcError(app.client.clusterStacks.deploy({ clusterId, name: 'shop', compose: composeOf('v1', '1'), registryId: 'no-such-registry' }));
    expect(unknown.code).toBe('NOT_FOUND');
    expect(unknown.message).toContain('registryId: no-such-registry is not a registry of this app');
    const pushed = await app.client.registry.buildAndPush({ registryId, buildServerId: ids.a as string, app: 'stackweb', deployId: 'r1', source: { kind: 'image', image: `${WEB}:v1` } });
    const image = `${registryHost}/stackweb:r1`;
    expect(pushed.ref).toBe(image);
    const b = servers[1] as TestServer;
    expect((await b.exec(['docker', 'image', 'ls', '-q', `${registryHost}/stackweb`], { check: true })).stdout.trim()).toBe('');
    const anonymous = await app.client.clusterStacks.deploy({ clusterId, name: 'shop', compose: composeOf(image, '5') });
    const refused = await finished(anonymous.deployId);
    expect(refused.status, refused.log).toBe('failed');
    expect(refused.error).toContain('service shop_web: Swarm rolled the update back');
    await serving('v2');
    const withAuth = await app.client.clusterStacks.deploy({ clusterId, name: 'shop', compose: composeOf(image, '5'), registryId });
    const job = await finished(withAuth.deployId);
    expect(job.status, job.log).toBe('succeeded');
    await serving('v1');
    // The CLI resolved the tag through the registry (credentials and CA), so every node runs the same digest.
    expect((await specOf('shop_web')).TaskTemplate.ContainerSpec.Image).toBe(`${image}@${pushed.digest}`);
    const v = await get();
    expect(svc(v, 'web').running).toBe(2);
    const nodes = new Set(svc(v, 'web').tasks.filter((t) => t.desired === 'running').map((t) => t.serverId));
    expect(nodes.size).toBe(2);
    for (const s of servers.filter((x) => nodes.has(ids[x.name] as string))) {
      expect((await s.exec(['docker', 'image', 'ls', '-q', `${registryHost}/stackweb`], { check: true })).stdout.trim(), s.name).not.toBe('');
    }
    expect(v.deploys[0]).toMatchObject({ id: withAuth.deployId, registryId, result: 'succeeded' });
  }, 240_000);

  it('rolls back to the first record (its Compose file again, a new record), then removes the stack and waits for it to go', async () => {
    const unknown = await rpcError(app.client.clusterStacks.rollback({ clusterId, name: 'shop', deployId: 'd000000000000' }));
    expect(unknown.code).toBe('NOT_FOUND');
    const back = await app.client.clusterStacks.rollback({ clusterId, name: 'shop', deployId: first });
    const job = await finished(back.deployId);
    expect(job.status, job.log).toBe('succeeded');
    await serving('v1');
    expect((await specOf('shop_web')).TaskTemplate.ContainerSpec.Image).toMatch(new RegExp(`^${WEB}:v1`));
    expect((await specOf('shop_worker')).TaskTemplate.ContainerSpec.Env).toContain('VERSION=1');
    const v = await get();
    expect(v.deploys[0]).toMatchObject({ id: back.deployId, kind: 'rollback', rollbackOf: first, result: 'succeeded', compose: composeOf('v1', '1') });
    expect((await app.client.clusterStacks.list({ clusterId })).map((s) => s.name)).toEqual(['shop']);

    expect(await app.client.clusterStacks.remove({ clusterId, name: 'shop' })).toEqual({ removed: true });
    const a = servers[0] as TestServer;
    expect((await a.exec(['docker', 'service', 'ls', '-q', '--filter', 'label=com.docker.stack.namespace=shop'], { check: true })).stdout.trim()).toBe('');
    expect((await a.exec(['docker', 'network', 'ls', '-q', '--filter', 'label=com.docker.stack.namespace=shop'], { check: true })).stdout.trim()).toBe('');
    expect((await a.exec(['docker', 'config', 'ls', '-q', '--filter', 'label=openpanel.stack=shop'], { check: true })).stdout.trim()).toBe('');
    expect((await rpcError(get())).code).toBe('NOT_FOUND');
    expect(await app.client.clusterStacks.remove({ clusterId, name: 'shop' })).toEqual({ removed: false });
    for (const s of servers) expect(await canaries(s)).toEqual([]);
  }, 240_000);
});
