import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registries } from '../../src/main/services/db/schema.ts';
import type { Registry, RegistryStatus } from '../../src/shared/contract/index.ts';
import { rpcError, startTestApp, type TestApp } from '../helpers/app.ts';
import { canaries, CANARY, hostileVariants, removeCanaries } from '../helpers/hostile.ts';
import { loadRegistryStandin, registryImageMapping } from '../helpers/registry-standin.ts';
import { addServer } from '../helpers/servers.ts';
import { BUSYBOX_TAG, Testbed, type TestServer } from '../testbed/index.ts';

const PORT = 5443;
let bed: Testbed;
let a: TestServer;
let b: TestServer;
let app: TestApp;
const ids: Record<string, string> = {};
let created: RegistryStatus;
let password = '';

const host = () => `${a.host}:${PORT}`;
const caPath = () => `/etc/docker/certs.d/${host()}/ca.crt`;

async function curlCode(s: TestServer, args: string[]): Promise<{ code: number; http: string }> {
  const r = await s.exec(['curl', '-sS', '-o', '/dev/null', '-w', '%{http_code}', '--max-time', '10', ...args]);
  return { code: r.code ?? -1, http: r.stdout.trim() };
}

async function authedJson(path: string, accept?: string): Promise<{ body: unknown; digest: string }> {
  const r = await a.exec(['curl', '-sS', '-D', '-', '--max-time', '10', '--cacert', caPath(), '-u', `openpanel:${password}`, ...(accept ? ['-H', `Accept: ${accept}`] : []), `https://${host()}${path}`], { check: true });
  const [head = '', body = ''] = r.stdout.split('\r\n\r\n');
  return { body: JSON.parse(body), digest: /docker-content-digest: (\S+)/i.exec(head)?.[1] ?? '' };
}

async function buildLayered(s: TestServer, tag: string, content: string): Promise<void> {
  const ctx = `/tmp/reg-img-${content}`;
  await s.exec(['mkdir', '-p', ctx], { check: true });
  await s.exec(['sh', '-c', 'cat > "$0"', `${ctx}/Dockerfile`], { input: `FROM ${BUSYBOX_TAG}\nRUN echo ${content} > /${content}\n`, check: true });
  await s.exec(['docker', 'build', '-q', '-t', tag, ctx], { check: true, env: { DOCKER_BUILDKIT: '0' }, timeoutMs: 120_000 });
}

beforeAll(async () => {
  bed = await Testbed.create({ prefix: 'reg' });
  [a, b] = (await bed.addServers([
    { name: 'a', images: ['busybox'] },
    { name: 'b', images: [] },
  ])) as [TestServer, TestServer];
  await loadRegistryStandin(a);
  app = await startTestApp();
  for (const s of [a, b]) ids[s.name] = (await addServer(app.client, s, { name: s.name })).id;
  await app.client.proxy.updateSettings({
    serverId: ids.a as string,
    settings: { driver: 'caddy', dataDir: '/tmp/openpanel', httpsRedirect: false, imageOverrides: { prefix: null, images: { ...registryImageMapping(), 'busybox:latest': BUSYBOX_TAG } } },
  });
}, 600_000);

afterAll(async () => {
  await app?.close();
  for (const dir of [`${a?.host}:${PORT}`, `${a?.host}:${PORT + 1}`, `${a?.host}:${PORT + 2}`]) await a?.exec(['rm', '-rf', `/etc/docker/certs.d/${dir}`]).catch(() => undefined);
  await bed?.teardown();
});

describe('private registry: TLS from the app CA, basic auth, build once and pull by digest', () => {
  it('refuses hostile names, addresses, ports, credentials and references naming the field; nothing reaches a node', async () => {
    await a.exec(['touch', `${CANARY}-control`], { check: true });
    expect(await canaries(a)).toEqual([`${CANARY}-control`]);
    await removeCanaries(a);
    const ok = { name: 'main', serverId: ids.a as string };
    for (const { value } of hostileVariants().filter((_, i) => i % 3 === 0)) {
      const cases: [string, () => Promise<unknown>][] = [
        ['name', () => app.client.registry.createPrivate({ ...ok, name: value })],
        ['address', () => app.client.registry.createPrivate({ ...ok, address: value })],
        ['username', () => app.client.registry.createPrivate({ ...ok, username: value })],
        ['url', () => app.client.registry.addExternal({ name: 'x', url: value, username: 'u', password: 'p' })],
        ['password', () => app.client.registry.addExternal({ name: 'x', url: 'ghcr.io', username: 'u', password: `p${value.includes('\n') ? value : `\n${value}`}` })],
        ['app', () => app.client.registry.buildAndPush({ registryId: 'r', buildServerId: ids.a as string, app: value, deployId: 'd1', source: { kind: 'image', image: 'busybox' } })],
        ['deployId', () => app.client.registry.buildAndPush({ registryId: 'r', buildServerId: ids.a as string, app: 'web', deployId: value, source: { kind: 'image', image: 'busybox' } })],
        ['source.url', () => app.client.registry.buildAndPush({ registryId: 'r', buildServerId: ids.a as string, app: 'web', deployId: 'd1', source: { kind: 'git', url: value } })],
        ['digest', () => app.client.registry.pull({ registryId: 'r', serverId: ids.b as string, app: 'web', digest: value })],
      ];
      for (const [field, call] of cases) {
        const e = await rpcError(call());
        expect(e.code, `${field} ← ${JSON.stringify(value)}`).toBe('INPUT_INVALID');
        expect(e.message, `${field} ← ${JSON.stringify(value)}`).toContain(field);
      }
    }
    for (const port of [0, -1, 70_000, 5000.5]) {
      const e = await rpcError(app.client.registry.createPrivate({ ...ok, port }));
      expect(e.code).toBe('INPUT_INVALID');
      expect(e.message).toMatch(/port: expected (a port from 1 to 65535|a whole number)/);
    }
    const unknown = await rpcError(app.client.registry.createPrivate({ ...ok, trust: ['nope'] }));
    expect(unknown.message).toContain('trust[0]');
    for (const s of [a, b]) expect(await canaries(s)).toEqual([]);
    expect((await a.exec(['docker', 'ps', '-aq', '--filter', 'name=openpanel-registry'], { check: true })).stdout.trim()).toBe('');
    expect(await app.client.registry.list()).toEqual([]);
  });

  it('creates the registry in one call: TLS verified against the CA from a node, auth required, CA on every node', async () => {
    created = await app.client.registry.createPrivate({ name: 'main', serverId: ids.a as string, trust: [ids.b as string], port: PORT });
    expect(created.state).toBe('running');
    expect(created.error).toBeNull();
    expect(created.registry.host).toBe(host());
    expect(created.nodes.map((n) => [n.serverName, n.ok, n.path])).toEqual([['a', true, caPath()], ['b', true, caPath()]]);
    const inspect = JSON.parse((await a.exec(['docker', 'inspect', 'openpanel-registry-main'], { check: true })).stdout)[0];
    expect(inspect.HostConfig.RestartPolicy.Name).toBe('unless-stopped');
    expect(inspect.HostConfig.PortBindings['5000/tcp']).toEqual([{ HostIp: a.host, HostPort: String(PORT) }]);
    expect(inspect.Mounts.map((m: { Name?: string; Destination: string }) => [m.Name, m.Destination])).toEqual([['openpanel-registry-main-data', '/var/lib/registry']]);
    // The CA file: the root the app made, root-owned 0644 in a 0755 directory (the bed's servers share the machine's /etc).
    for (const s of [a, b]) {
      expect((await s.exec(['stat', '-c', '%a %U', caPath(), `/etc/docker/certs.d/${host()}`], { check: true })).stdout.trim().split('\n')).toEqual(['644 root', '755 root']);
      expect((await s.exec(['cat', caPath()], { check: true })).stdout).toBe(created.registry.caCertificate);
    }
    // TLS from node b: verified against the CA (and refused without it: positive control); 401 without credentials.
    const verified = await b.exec(['sh', '-c', 'echo | openssl s_client -connect "$0" -CAfile "$1" -verify_return_error -verify_ip "${0%:*}" 2>&1', host(), caPath()]);
    expect(verified.stdout).toContain('Verify return code: 0 (ok)');
    expect(await curlCode(b, ['--cacert', caPath(), `https://${host()}/v2/`])).toEqual({ code: 0, http: '401' });
    expect((await curlCode(b, [`https://${host()}/v2/`])).code).toBe(60);
    expect(await curlCode(b, ['--cacert', caPath(), '-u', 'openpanel:wrong', `https://${host()}/v2/`])).toEqual({ code: 0, http: '401' });
    const row = app.services.storage.db.select().from(registries).get();
    if (!row?.caKeyRef) throw new Error('no registry row');
    password = await app.services.secrets.require(row.passwordRef, 'test');
    expect(await curlCode(b, ['--cacert', caPath(), '-u', `openpanel:${password}`, `https://${host()}/v2/`])).toEqual({ code: 0, http: '200' });
    expect((await app.services.secrets.require(row.caKeyRef, 'test')).startsWith('-----BEGIN PRIVATE KEY-----')).toBe(true);
  });

  it('pushes from A and pulls by digest on B, where nothing was built', async () => {
    const pushed = await app.client.registry.buildAndPush({ registryId: created.registry.id, buildServerId: ids.a as string, app: 'web', deployId: 'd-1', source: { kind: 'image', image: BUSYBOX_TAG } });
    expect(pushed.ref).toBe(`${host()}/web:d-1`);
    expect(pushed.digest).toMatch(/^sha256:[a-f0-9]{64}$/);
    expect((await authedJson('/v2/web/manifests/d-1', 'application/vnd.docker.distribution.manifest.v2+json')).digest).toBe(pushed.digest);
    expect((await b.exec(['docker', 'images', '-q'], { check: true })).stdout.trim()).toBe('');
    const pulled = await app.client.registry.pull({ registryId: created.registry.id, serverId: ids.b as string, app: 'web', digest: pushed.digest });
    expect(pulled.ref).toBe(pushed.byDigest);
    const onB = JSON.parse((await b.exec(['docker', 'image', 'inspect', pushed.byDigest], { check: true })).stdout)[0];
    expect(onB.RepoDigests).toEqual([pushed.byDigest]);
    expect(onB.RepoTags).toEqual([]);
    expect(onB.Id).toBe(pulled.imageId);
    expect((await b.exec(['docker', 'run', '--rm', pushed.byDigest, 'echo', 'ran on b'], { check: true })).stdout.trim()).toBe('ran on b');
    expect((await b.exec(['docker', 'ps', '-aq'], { check: true })).stdout.trim()).toBe('');
  });

  it('builds from a git repository on the chosen server (the builder), pushes, and B runs it by digest', async () => {
    const builder = await a.loadImage('debian', { packages: ['git', 'docker.io'], tag: 'openpanel-test/builder:latest' });
    await app.client.proxy.updateSettings({
      serverId: ids.a as string,
      settings: { driver: 'caddy', dataDir: '/tmp/openpanel', httpsRedirect: false, imageOverrides: { prefix: null, images: { ...registryImageMapping(), 'busybox:latest': BUSYBOX_TAG, 'docker:27-cli': builder } } },
    });
    const repo = [
      'set -e',
      'rm -rf /tmp/reg-src /tmp/reg-git && mkdir -p /tmp/reg-src /tmp/reg-git',
      'cd /tmp/reg-src && git init -q -b main',
      `printf 'FROM ${BUSYBOX_TAG}\nRUN echo built from git > /built\nCMD ["cat", "/built"]\n' > Dockerfile`,
      'git add Dockerfile && git -c user.email=t@example.com -c user.name=t commit -q -m app',
      'git clone -q --bare /tmp/reg-src /tmp/reg-git/app.git',
      'git daemon --reuseaddr --export-all --base-path=/tmp/reg-git --listen="$0" --port=9418 --detach',
    ].join('\n');
    await a.exec(['sh', '-c', repo, a.host], { check: true });
    const pushed = await app.client.registry.buildAndPush({ registryId: created.registry.id, buildServerId: ids.a as string, app: 'api', deployId: 'd-7', source: { kind: 'git', url: `git://${a.host}/app.git`, ref: 'main' } });
    expect(pushed.ref).toBe(`${host()}/api:d-7`);
    expect((await authedJson('/v2/api/manifests/d-7', 'application/vnd.docker.distribution.manifest.v2+json')).digest).toBe(pushed.digest);
    await app.client.registry.pull({ registryId: created.registry.id, serverId: ids.b as string, app: 'api', digest: pushed.digest });
    expect((await b.exec(['docker', 'run', '--rm', pushed.byDigest], { check: true })).stdout.trim()).toBe('built from git');
    expect((await b.exec(['docker', 'image', 'inspect', '--format', '{{json .RepoTags}}', pushed.byDigest], { check: true })).stdout.trim()).toBe('[]');
    const failed = await rpcError(app.client.registry.buildAndPush({ registryId: created.registry.id, buildServerId: ids.a as string, app: 'api', deployId: 'd-8', source: { kind: 'git', url: `git://${a.host}/missing.git` } }));
    expect(failed.message).toMatch(/building api on a failed \(exit \d+\)/);
    expect(((await authedJson('/v2/api/tags/list')).body as { tags: string[] }).tags).toEqual(['d-7']);
  });

  it('an external registry (the stand-in itself): test login, pulls with its credentials; a wrong password is refused', async () => {
    const ext: Registry = await app.client.registry.addExternal({ name: 'self', url: `https://${host()}`, username: 'openpanel', password, ca: created.registry.caCertificate ?? '' });
    expect(ext.host).toBe(host());
    expect(await app.client.registry.testLogin({ registryId: ext.id })).toEqual({ ok: true, detail: `logged in to ${host()} as openpanel` });
    const wrong = await app.client.registry.addExternal({ name: 'wrong', url: host(), username: 'openpanel', password: 'not-the-password', ca: created.registry.caCertificate ?? '' });
    const refused = await app.client.registry.testLogin({ registryId: wrong.id });
    expect(refused.ok).toBe(false);
    expect(refused.detail).toContain('refused the user name or password (HTTP 401)');
    const digest = (await authedJson('/v2/web/manifests/d-1', 'application/vnd.docker.distribution.manifest.v2+json')).digest;
    await b.exec(['docker', 'rmi', `${host()}/web@${digest}`], { check: true });
    const denied = await rpcError(app.client.registry.pull({ registryId: wrong.id, serverId: ids.b as string, app: 'web', digest }));
    expect(denied.message).toContain(`registry wrong (${host()})`);
    expect((await b.exec(['docker', 'image', 'inspect', `${host()}/web@${digest}`])).code).not.toBe(0);
    await app.client.registry.pull({ registryId: ext.id, serverId: ids.b as string, app: 'web', digest });
    expect((await b.exec(['docker', 'image', 'inspect', `${host()}/web@${digest}`])).code).toBe(0);
    await app.client.registry.remove({ registryId: wrong.id });
  });

  it('a push to an unreachable registry fails naming it and removes nothing', async () => {
    await a.exec(['docker', 'stop', 'openpanel-registry-main'], { check: true });
    expect((await curlCode(a, ['--cacert', caPath(), `https://${host()}/v2/`])).code).toBe(7);
    const e = await rpcError(app.client.registry.buildAndPush({ registryId: created.registry.id, buildServerId: ids.a as string, app: 'web', deployId: 'd-x', source: { kind: 'image', image: BUSYBOX_TAG } }));
    expect(e.message).toContain(`registry main (${host()}): pushing web:d-x from a failed`);
    expect((await a.exec(['docker', 'image', 'inspect', `${host()}/web:d-x`])).code).toBe(0);
    expect((await app.client.registry.status({ registryId: created.registry.id })).state).toBe('exited');
    await a.exec(['docker', 'start', 'openpanel-registry-main'], { check: true });
    const back = await app.client.registry.status({ registryId: created.registry.id });
    expect(back.state).toBe('running');
  });

  it('garbage collection keeps the newest tags and removes an old tag’s blobs', async () => {
    for (const n of ['one', 'two', 'three']) {
      await buildLayered(a, `gc-${n}`, n);
      await app.client.registry.buildAndPush({ registryId: created.registry.id, buildServerId: ids.a as string, app: 'gc', deployId: n, source: { kind: 'image', image: `gc-${n}` } });
    }
    const manifest = (await authedJson('/v2/gc/manifests/one', 'application/vnd.docker.distribution.manifest.v2+json')).body as { layers: { digest: string }[] };
    const own = (manifest.layers.at(-1) as { digest: string }).digest.slice('sha256:'.length);
    const blob = `/var/lib/registry/docker/registry/v2/blobs/sha256/${own.slice(0, 2)}/${own}`;
    expect((await a.exec(['docker', 'exec', 'openpanel-registry-main', 'test', '-d', blob])).code).toBe(0);
    const result = await app.client.registry.gc({ registryId: created.registry.id, app: 'gc', keep: 2 });
    expect(result).toEqual({ deleted: ['one'], kept: ['three', 'two'] });
    expect((await a.exec(['docker', 'exec', 'openpanel-registry-main', 'test', '-d', blob])).code).toBe(1);
    expect(((await authedJson('/v2/gc/tags/list')).body as { tags: string[] }).tags.sort()).toEqual(['three', 'two']);
    await a.exec(['docker', 'rmi', `${host()}/gc:two`], { check: true });
    await app.client.registry.pull({ registryId: created.registry.id, serverId: ids.a as string, app: 'gc', digest: (await authedJson('/v2/gc/manifests/two', 'application/vnd.docker.distribution.manifest.v2+json')).digest });
  });

  it('a server that joins the registry’s cluster later gets the CA root (the cluster calls registry.syncServer)', async () => {
    const cluster = await app.client.cluster.create({ name: 'rc', members: [{ serverId: ids.a as string, role: 'manager' }], addrPool: '10.231.240.0/20' });
    const swarm = await app.client.registry.createPrivate({ name: 'swarm', serverId: ids.a as string, clusterId: cluster.id, port: PORT + 1 });
    expect(swarm.nodes.map((n) => [n.serverName, n.ok])).toEqual([['a', true]]);
    const file = `/etc/docker/certs.d/${a.host}:${PORT + 1}/ca.crt`;
    // The bed's servers share the machine's /etc: take the file away so only a write for b can bring it back.
    await a.exec(['rm', '-f', file], { check: true });
    expect(await b.fileExists(file)).toBe(false);
    await app.client.cluster.join({ clusterId: cluster.id, serverId: ids.b as string, role: 'worker' });
    expect((await b.exec(['cat', file], { check: true })).stdout).toBe(swarm.registry.caCertificate);
    const after = await app.client.registry.status({ registryId: swarm.registry.id });
    expect(after.nodes.map((n) => [n.serverName, n.ok])).toEqual([['a', true], ['b', true]]);
    await app.client.registry.remove({ registryId: swarm.registry.id, purge: true });
    expect(await b.fileExists(file)).toBe(false);
    expect((await app.client.cluster.dissolve({ clusterId: cluster.id })).failed).toEqual([]);
  });

  it('credentials are absent from SQLite bytes, the activity log and world-readable files; remove takes the CA off the nodes', async () => {
    expect(password.length).toBeGreaterThan(20);
    const dbFiles = readdirSync(app.dataDir).filter((f) => f.startsWith('openpanel.db'));
    const bytes = Buffer.concat(dbFiles.map((f) => readFileSync(join(app.dataDir, f))));
    expect(bytes.includes(Buffer.from('main'))).toBe(true);
    expect(bytes.includes(Buffer.from(password))).toBe(false);
    expect(bytes.includes(Buffer.from('BEGIN PRIVATE KEY'))).toBe(false);
    const activity = JSON.stringify(await app.client.activity.list({}));
    expect(activity).toContain('registry.addExternal');
    expect(activity).not.toContain(password);
    const logs = (await a.exec(['docker', 'logs', 'openpanel-registry-main'])).stdout + (await a.exec(['docker', 'logs', 'openpanel-registry-main'])).stderr;
    expect(logs.length).toBeGreaterThan(0);
    expect(logs).not.toContain(password);
    const htpasswd = await a.exec(['docker', 'exec', 'openpanel-registry-main', 'stat', '-c', '%a', '/etc/docker/registry/htpasswd', '/etc/docker/registry/tls.key'], { check: true });
    expect(htpasswd.stdout.trim().split('\n')).toEqual(['600', '600']);
    expect((await a.exec(['docker', 'exec', 'openpanel-registry-main', 'cat', '/etc/docker/registry/htpasswd'], { check: true })).stdout).toMatch(/^openpanel:\$2b\$10\$/);
    await app.client.registry.remove({ registryId: created.registry.id, purge: true });
    expect((await a.exec(['docker', 'inspect', 'openpanel-registry-main'])).code).not.toBe(0);
    expect((await a.exec(['docker', 'volume', 'inspect', 'openpanel-registry-main-data'])).code).not.toBe(0);
    for (const s of [a, b]) expect(await s.fileExists(caPath())).toBe(false);
    expect((await app.client.registry.list()).map((r) => r.name)).toEqual(['self']);
  });

  it('removing servers: a trusting one leaves the trust list; the registry’s own server takes its keychain entries, nothing on the server touched', async () => {
    const gone = await app.client.registry.createPrivate({ name: 'gone', serverId: ids.a as string, trust: [ids.b as string], port: PORT + 2 });
    expect(gone.registry.trust).toEqual([ids.b]);
    const row = app.services.storage.db.select().from(registries).all().find((r) => r.name === 'gone');
    if (!row?.caKeyRef) throw new Error('the registry row or its CA key reference is missing');
    const refs = [row.passwordRef, row.caKeyRef];
    for (const ref of refs) expect((await app.services.secrets.require(ref, 'test')).length).toBeGreaterThan(20);

    expect(await app.client.servers.remove({ id: ids.b as string })).toEqual({ removed: true });
    const after = await app.client.registry.status({ registryId: gone.registry.id });
    expect(after.registry.trust).toEqual([]);
    expect(after.nodes.map((n) => [n.serverName, n.ok])).toEqual([['a', true]]);

    expect(await app.client.servers.remove({ id: ids.a as string })).toEqual({ removed: true });
    expect((await app.client.registry.list()).map((r) => r.name)).not.toContain('gone');
    for (const ref of refs) expect((await rpcError(app.services.secrets.require(ref, 'the registry secret'))).message).toMatch(/^the registry secret: the secret is missing/);
    expect((await a.exec(['docker', 'inspect', '--format', '{{.State.Running}}', 'openpanel-registry-gone'], { check: true })).stdout.trim()).toBe('true');
  });
});
