import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registries } from '../../src/main/services/db/schema.ts';
import type { ClusterAppView, ClusterBuildDetail, ClusterGitDeployInput } from '../../src/shared/contract/index.ts';
import { rpcError, startTestApp, waitFor, type TestApp } from '../helpers/app.ts';
import { CANARY, canaries, hostileVariants, removeCanaries } from '../helpers/hostile.ts';
import { loadRegistryStandin, registryImageMapping } from '../helpers/registry-standin.ts';
import { addServer } from '../helpers/servers.ts';
import { BUSYBOX_TAG, Testbed, type TestServer } from '../testbed/index.ts';
import { GitRepo } from './deploy-fixture.ts';

/**
 * A git app deployed to a 3-node cluster: built once on a separate build server (d), pushed to the private registry
 * on a (TLS from the app's CA, basic auth), run by digest on a, b and c (which pull with the service's registry
 * auth: no docker login anywhere), served over HTTPS by the edge (Caddy's internal issuer) on a.
 */
const POOL = '10.231.240.0/20';
const PORT = 5443;
const DOMAIN = 'ship.test';
const CADDY_STANDIN = 'openpanel-test/caddy:latest';
const BUILDER_STANDIN = 'openpanel-test/builder:latest';

let bed: Testbed;
let a: TestServer;
let b: TestServer;
let c: TestServer;
let d: TestServer;
let app: TestApp;
let dataDir = '';
let repo: GitRepo;
const ids: Record<string, string> = {};
let clusterId = '';
let registryId = '';
let registryHost = '';
let edgeRoot = '';
const t0 = Math.floor(Date.now() / 1000);
const nodes = () => [a, b, c];

/** The app: `<version> <task hostname>` on 8080; its Dockerfile and context in sub-folders (the source's fields). */
function files(version: string): Record<string, string> {
  return {
    'docker/Dockerfile': [
      'FROM busybox:latest',
      'COPY version /version',
      // Keeps the build running a few seconds: the app is restarted while it runs.
      'RUN sleep 4',
      `CMD ["sh", "-c", "mkdir -p /www && echo \\"$(cat /version) $(hostname)\\" > /www/index.html && trap 'exit 0' TERM && httpd -f -p 8080 -h /www & wait"]`,
      '',
    ].join('\n'),
    'app/version': `${version}\n`,
  };
}

/** Commits version `version` of the app; returns the commit id. */
function commit(version: string): string {
  for (const dir of ['docker', 'app']) mkdirSync(join(repo.work, dir), { recursive: true });
  return repo.commit(files(version), version);
}

const input = (over: Partial<ClusterGitDeployInput> = {}): ClusterGitDeployInput => ({
  clusterId,
  name: 'web',
  replicas: 3,
  port: 8080,
  domains: [{ host: DOMAIN, tls: true, issuer: 'internal' }],
  health: { test: ['test', '-f', '/version'], intervalS: 1, timeoutS: 1, retries: 2, startPeriodS: 0 },
  update: { parallelism: 1, delayS: 0, order: 'start-first', monitorS: 2, failureAction: 'rollback', maxFailureRatio: 0 },
  source: { kind: 'git', url: repo.url, ref: 'main', dockerfile: 'docker/Dockerfile', context: 'app' },
  builderServerId: ids.d as string,
  registryId,
  ...over,
});

const get = (t = app) => t.client.clusterApps.get({ clusterId, name: 'web' });

async function finished(deployId: string, t = app): Promise<ClusterBuildDetail> {
  return waitFor(async () => {
    const build = await t.client.clusterApps.build({ clusterId, name: 'web', deployId });
    return build.status === 'running' ? null : build;
  }, `deploy ${deployId} to end`, 240_000, 500);
}

async function settled(image: string): Promise<ClusterAppView> {
  return waitFor(async () => {
    const v = await get();
    const meant = v.tasks.filter((t) => t.desired === 'running');
    return meant.length === 3 && meant.every((t) => t.state === 'running' && t.image === image) ? v : null;
  }, `3 running tasks of ${image}`, 120_000, 500);
}

/** One HTTPS request through the edge on a, from b's host network, verified against the edge's own CA (curl). */
async function https(host = DOMAIN, opts: { ca?: boolean } = {}): Promise<{ code: number; body: string; stderr: string }> {
  const r = await b.exec(['curl', '-sS', '--max-time', '5', '--resolve', `${host}:443:${a.host}`, ...(opts.ca === false ? [] : ['--cacert', '/tmp/edge-root.crt']), `https://${host}/`]);
  return { code: r.code ?? -1, body: r.stdout.trim(), stderr: r.stderr.trim() };
}

/** `n` HTTPS answers (first words: the version) through the edge. */
async function versions(n: number): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push((await https()).body);
  return out;
}

async function containerCreations(s: TestServer, label: string): Promise<string[]> {
  const r = await s.exec(['docker', 'events', '--since', String(t0), '--until', String(Math.floor(Date.now() / 1000)), '--filter', 'type=container', '--filter', 'event=create', '--filter', `label=${label}`, '--format', '{{.Actor.Attributes.name}}'], { check: true });
  return r.stdout.split('\n').filter(Boolean);
}

beforeAll(async () => {
  bed = await Testbed.create({ prefix: 'cship' });
  [a, b, c, d] = (await bed.addServers([
    { name: 'a', images: [] },
    { name: 'b', images: [] },
    { name: 'c', images: [] },
    { name: 'd', images: ['busybox'] },
  ])) as [TestServer, TestServer, TestServer, TestServer];
  repo = new GitRepo();
  commit('v1');
  await repo.serve(bed);
  await Promise.all([
    loadRegistryStandin(a).then(() => a.loadImage('debian', { packages: ['caddy'], tag: CADDY_STANDIN })),
    d.loadImage('debian', { packages: ['git', 'docker.io'], tag: BUILDER_STANDIN }),
  ]);
  dataDir = mkdtempSync(join(tmpdir(), 'openpanel-cship-'));
  app = await startTestApp({ dataDir });
  for (const s of [a, b, c, d]) ids[s.name] = (await addServer(app.client, s, { name: s.name })).id;
  await app.client.proxy.updateSettings({ serverId: ids.a as string, settings: { dataDir: '/tmp/openpanel', imageOverrides: { prefix: null, images: { ...registryImageMapping(), 'caddy:2': CADDY_STANDIN } } } });
  await app.client.proxy.updateSettings({ serverId: ids.d as string, settings: { dataDir: '/tmp/openpanel', imageOverrides: { prefix: null, images: { 'docker:27-cli': BUILDER_STANDIN, 'busybox:latest': BUSYBOX_TAG } } } });
  const cluster = await app.client.cluster.create({
    name: 'ship',
    members: [
      { serverId: ids.a as string, role: 'manager' },
      { serverId: ids.b as string, role: 'worker' },
      { serverId: ids.c as string, role: 'worker' },
    ],
    addrPool: POOL,
  });
  clusterId = cluster.id;
  const edgeNode = cluster.nodes.find((n) => n.serverId === ids.a);
  if (!edgeNode) throw new Error('a is not a node');
  await app.client.cluster.updateNode({ clusterId, nodeId: edgeNode.id, labels: { 'openpanel.edge': 'true' } });
  const registry = await app.client.registry.createPrivate({ name: 'ship', serverId: ids.a as string, clusterId, trust: [ids.d as string], port: PORT });
  expect(registry.nodes.every((n) => n.ok)).toBe(true);
  registryId = registry.registry.id;
  registryHost = registry.registry.host;
}, 600_000);

afterAll(async () => {
  await app?.close().catch(() => undefined);
  repo?.close();
  await a?.exec(['rm', '-rf', `/etc/docker/certs.d/${a.host}:${PORT}`]).catch(() => undefined);
  await bed?.teardown();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

describe('a git app on a cluster: built once, pushed, run by digest, HTTPS through the edge', () => {
  it('refuses hostile git URLs, refs, paths, builder and registry ids naming the field; unknown ids by name; nothing reaches a node', async () => {
    await d.exec(['touch', `${CANARY}-control`], { check: true });
    expect(await canaries(d)).toEqual([`${CANARY}-control`]);
    await removeCanaries(d);
    for (const { value } of hostileVariants().filter((_, i) => i % 3 === 1)) {
      const cases: [string, () => Promise<unknown>][] = [
        ['source.url', () => app.client.clusterApps.deployFromGit(input({ source: { kind: 'git', url: value } }))],
        ['source.ref', () => app.client.clusterApps.deployFromGit(input({ source: { kind: 'git', url: repo.url, ref: value } }))],
        ['source.dockerfile', () => app.client.clusterApps.deployFromGit(input({ source: { kind: 'git', url: repo.url, dockerfile: value } }))],
        ['source.context', () => app.client.clusterApps.deployFromGit(input({ source: { kind: 'git', url: repo.url, context: value } }))],
        ['builderServerId', () => app.client.clusterApps.deployFromGit(input({ builderServerId: value }))],
        ['registryId', () => app.client.clusterApps.deployFromGit(input({ registryId: value }))],
        ['name', () => app.client.clusterApps.deployFromGit(input({ name: value }))],
      ];
      for (const [field, call] of cases) {
        const e = await rpcError(call());
        expect(e.code, `${field} ← ${JSON.stringify(value)}`).toBe('INPUT_INVALID');
        expect(e.message, `${field} ← ${JSON.stringify(value)}`).toContain(field);
      }
    }
    const noBuilder = await rpcError(app.client.clusterApps.deployFromGit(input({ builderServerId: 'nope' })));
    expect([noBuilder.code, noBuilder.message]).toEqual(['NOT_FOUND', 'builderServerId: no server nope']);
    const noRegistry = await rpcError(app.client.clusterApps.deployFromGit(input({ registryId: 'nope' })));
    expect([noRegistry.code, noRegistry.message]).toEqual(['NOT_FOUND', 'registryId: no registry nope']);
    for (const s of [a, b, c, d]) expect(await canaries(s)).toEqual([]);
    expect(await containerCreations(d, 'openpanel.job')).toEqual([]);
    expect((await a.exec(['docker', 'service', 'ls', '-q', '--filter', 'name=op-web'], { check: true })).stdout.trim()).toBe('');
  });

  it('builds once on d, pushes, runs 3 replicas on a, b and c by digest (pulled with the service’s auth), HTTPS through the edge', async () => {
    const v1 = repo.git(['rev-parse', 'HEAD']).trim();
    const started = await app.client.clusterApps.deployFromGit(input());
    expect(started).toMatchObject({ status: 'running', step: 'build', builder: 'd', registry: 'ship', tag: `${registryHost}/web:${started.id}` });
    const build = await finished(started.id);
    expect(build.status, `${build.error}\n${build.log}`).toBe('succeeded');
    expect(build).toMatchObject({ step: 'done', commit: v1, error: null });
    expect(build.digest).toMatch(/^sha256:[a-f0-9]{64}$/);
    expect(build.image).toBe(`${registryHost}/web@${build.digest}`);
    expect(build.log).toContain(`commit ${v1}: v1`);
    // The registry has the tag at that digest (asked with the credentials over TLS from a).
    const pushed = await a.exec(['curl', '-sS', '-o', '/dev/null', '-D', '-', '--cacert', `/etc/docker/certs.d/${registryHost}/ca.crt`, '-u', `openpanel:${await registryPassword()}`, '-H', 'Accept: application/vnd.docker.distribution.manifest.v2+json', `https://${registryHost}/v2/web/manifests/${started.id}`], { check: true });
    expect(/docker-content-digest: (\S+)/i.exec(pushed.stdout)?.[1]).toBe(build.digest);

    const v = await settled(build.image as string);
    expect(new Set(v.tasks.filter((t) => t.desired === 'running').map((t) => t.serverId))).toEqual(new Set([ids.a, ids.b, ids.c]));
    expect(v.deploys[0]).toMatchObject({ id: started.id, image: build.image, commit: v1, digest: build.digest, builderServerId: ids.d, registry: 'ship' });
    const spec = JSON.parse((await a.exec(['docker', 'service', 'inspect', 'op-web', '--format', '{{json .Spec.TaskTemplate.ContainerSpec.Image}}'], { check: true })).stdout);
    expect(spec).toBe(build.image);

    // Built once, on d: a build job container was created there and on no node; the nodes hold the image by digest
    // only (pulled, never tagged by a build) and not the builder image; d holds the tag it built.
    expect(await containerCreations(d, 'openpanel.job')).toEqual([`openpanel-build-${started.id}`]);
    for (const s of nodes()) {
      expect(await containerCreations(s, 'openpanel.job'), s.name).toEqual([]);
      expect((await s.exec(['docker', 'image', 'inspect', BUILDER_STANDIN])).code, s.name).not.toBe(0);
      const img = JSON.parse((await s.exec(['docker', 'image', 'inspect', build.image as string], { check: true })).stdout)[0];
      expect([img.RepoTags, img.RepoDigests], s.name).toEqual([[], [build.image]]);
    }
    expect((await d.exec(['docker', 'image', 'inspect', '--format', '{{index .Config.Labels "openpanel.commit"}}', started.tag], { check: true })).stdout.trim()).toBe(v1);

    // No docker login anywhere, and the registry wants credentials: c cannot pull the tag by itself (positive
    // control), so its task pulled with the service's X-Registry-Auth.
    for (const s of [a, b, c, d]) expect(await s.fileExists('/root/.docker/config.json'), s.name).toBe(false);
    const denied = await c.exec(['docker', 'pull', started.tag]);
    expect(denied.code).not.toBe(0);
    expect(denied.stderr).toMatch(/no basic auth credentials|unauthorized|authentication required/i);

    // HTTPS through the edge: the certificate chains to the edge's internal CA, read from its data volume.
    edgeRoot = await waitFor(async () => {
      const r = await a.exec(['sh', '-c', 'docker exec "$(docker ps -q --filter label=openpanel.proxy=caddy-edge | head -n 1)" cat /data/caddy/pki/authorities/local/root.crt']);
      return r.code === 0 && r.stdout.includes('BEGIN CERTIFICATE') ? r.stdout : null;
    }, 'the edge’s internal CA root', 60_000, 500);
    await b.exec(['sh', '-c', 'cat > /tmp/edge-root.crt'], { input: edgeRoot, check: true });
    await waitFor(async () => ((await https()).body.startsWith('v1 ') ? true : null), `https://${DOMAIN} through the edge`, 60_000, 500);
    const verified = await b.exec(['sh', '-c', 'echo | openssl s_client -connect "$0:443" -servername "$1" -CAfile /tmp/edge-root.crt -verify_return_error -verify_hostname "$1" 2>&1', a.host, DOMAIN]);
    expect(verified.stdout).toContain('Verify return code: 0 (ok)');
    expect(verified.stdout).toMatch(/issuer=.*Caddy Local Authority/);
    // Positive controls: without the edge's CA the chain is refused; another name gets no certificate (SNI routing).
    expect((await https(DOMAIN, { ca: false })).code).toBe(60);
    const other = await https('other.test');
    expect(other.code).not.toBe(0);
    expect(other.body).toBe('');
    const answers = await versions(12);
    expect(answers.filter((r) => !r.startsWith('v1 ')), answers.join('\n')).toEqual([]);
    expect(new Set(answers.map((r) => r.split(' ')[1])).size).toBe(3);
  }, 420_000);

  it('a second commit, with the app restarted while it builds, is re-attached and updates the service by digest', async () => {
    const v2 = commit('v2');
    const first = (await get()).image;
    const started = await app.client.clusterApps.deployFromGit(input());
    await waitFor(async () => ((await app.client.clusterApps.build({ clusterId, name: 'web', deployId: started.id })).log.includes('==> Building') ? true : null), 'the build step', 60_000, 200);
    await app.close();
    // The job goes on without the app; the new one starts while it still runs.
    expect(JSON.parse((await d.exec(['cat', `/tmp/openpanel/jobs/${started.id}/state.json`], { check: true })).stdout)).toMatchObject({ status: 'running', step: 'build' });
    app = await startTestApp({ dataDir });
    // Nobody asks the new app about the deploy: it follows it from its start and updates the service itself.
    const specImage = async () => (await a.exec(['docker', 'service', 'inspect', '--format', '{{.Spec.TaskTemplate.ContainerSpec.Image}}', 'op-web'], { check: true })).stdout.trim();
    await waitFor(async () => ((await specImage()) !== first ? true : null), 'the service updated by the restarted app on its own', 240_000, 1_000);
    const build = await finished(started.id);
    expect(build.status, `${build.error}\n${build.log}`).toBe('succeeded');
    expect(build.commit).toBe(v2);
    expect(build.log).toContain('==> Built');
    expect(build.image).not.toBe(first);
    await settled(build.image as string);
    const v = await get();
    expect(v.deploys.map((x) => x.commit)).toEqual([v2, expect.any(String)]);
    await waitFor(async () => ((await versions(6)).every((r) => r.startsWith('v2 ')) ? true : null), 'v2 through the edge', 60_000, 500);
    expect(await containerCreations(d, 'openpanel.job')).toHaveLength(2);
    for (const s of nodes()) expect(await containerCreations(s, 'openpanel.job'), s.name).toEqual([]);
  }, 300_000);

  it('a failing build, refused credentials and an unreachable registry fail naming the step and registry; v2 keeps serving; a retry deploys', async () => {
    const serving = (await get()).image;
    const stillV2 = async () => {
      expect((await get()).image).toBe(serving);
      const got = await versions(4);
      expect(got.filter((r) => !r.startsWith('v2 ')), got.join('\n')).toEqual([]);
    };
    const broken = await finished((await app.client.clusterApps.deployFromGit(input({ source: { kind: 'git', url: repo.url, ref: 'no-such-branch' } }))).id);
    expect([broken.status, broken.step]).toEqual(['failed', 'build']);
    expect(broken.error).toContain('build: build on d failed: git clone of no-such-branch failed');
    expect(broken.log).toContain('no-such-branch');
    await stillV2();

    const wrong = await app.client.registry.addExternal({ name: 'wrong', url: registryHost, username: 'openpanel', password: 'not-the-password' });
    const refused = await finished((await app.client.clusterApps.deployFromGit(input({ registryId: wrong.id }))).id);
    expect([refused.status, refused.step]).toEqual(['failed', 'push']);
    expect(refused.error).toContain(`push: registry wrong (${registryHost}): pushing web:${refused.id} from d failed`);
    await stillV2();

    commit('v3');
    await a.exec(['docker', 'stop', 'openpanel-registry-ship'], { check: true });
    expect((await a.exec(['curl', '-sS', '-o', '/dev/null', '--max-time', '5', `https://${registryHost}/v2/`])).code).toBe(7);
    const down = await finished((await app.client.clusterApps.deployFromGit(input())).id);
    expect([down.status, down.step]).toEqual(['failed', 'push']);
    expect(down.error).toContain(`push: registry ship (${registryHost}): pushing web:${down.id} from d failed`);
    // Nothing half-done: the built tag stays on d, the service and the edge are untouched, the failures are listed.
    expect((await d.exec(['docker', 'image', 'inspect', down.tag])).code).toBe(0);
    await stillV2();
    const listed = await app.client.clusterApps.builds({ clusterId, name: 'web' });
    expect(listed.slice(0, 3).map((x) => [x.id, x.status, x.step])).toEqual([
      [down.id, 'failed', 'push'],
      [refused.id, 'failed', 'push'],
      [broken.id, 'failed', 'build'],
    ]);

    await a.exec(['docker', 'start', 'openpanel-registry-ship'], { check: true });
    const retry = await finished((await app.client.clusterApps.deployFromGit(input())).id);
    expect(retry.status, `${retry.error}\n${retry.log}`).toBe('succeeded');
    await settled(retry.image as string);
    await waitFor(async () => ((await versions(6)).every((r) => r.startsWith('v3 ')) ? true : null), 'v3 through the edge', 60_000, 500);
  }, 420_000);
});

async function registryPassword(): Promise<string> {
  const row = app.services.storage.db.select().from(registries).all().find((r) => r.name === 'ship');
  if (!row) throw new Error('no registry row');
  return app.services.secrets.require(row.passwordRef, 'test');
}
