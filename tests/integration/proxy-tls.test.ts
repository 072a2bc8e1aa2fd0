// The proxy's certificates and operations on a real test server (real sshd + dockerd): certificates from Caddy's
// internal CA (offline, no Let's Encrypt), HTTPS through the proxy verified against that CA, the certificate status
// read from the proxy's data, and an upgrade to another image that keeps the certificates (and one that fails and
// is rolled back). Caddy is the Debian package in a Debian image (no registry), as in the deploy tests.
import { request } from 'node:https';
import { X509Certificate } from 'node:crypto';
import type { TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUSYBOX_TAG, Testbed, type TestServer } from '../testbed/index.ts';
import { rpcError, startTestApp, waitFor, type TestApp } from '../helpers/app.ts';
import { addServer } from '../helpers/servers.ts';
import { followDeploy, getByHost, GitRepo, SAMPLE_DOCKERFILE } from './deploy-fixture.ts';

const ROOT = '/data/caddy/pki/authorities/local/root.crt';

/** GET over HTTPS through the proxy with SNI and Host set; resolves with the status, body and the served leaf. */
function getHttps(address: string, host: string, ca?: string): Promise<{ status: number; body: string; cert: X509Certificate | null; error: string | null }> {
  return new Promise((resolve) => {
    const req = request({ host: address, port: 443, path: '/', servername: host, headers: { Host: host }, ...(ca ? { ca } : {}), agent: false, timeout: 5000 }, (res) => {
      const raw = (res.socket as TLSSocket).getPeerX509Certificate?.() ?? null;
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, cert: raw ?? null, error: null }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (e: NodeJS.ErrnoException) => resolve({ status: 0, body: '', cert: null, error: e.code ?? e.message }));
    req.end();
  });
}

describe('proxy TLS: internal CA, certificate status, upgrade (real sshd + dockerd, Caddy)', () => {
  let bed: Testbed;
  let s: TestServer;
  let app: TestApp;
  let repo: GitRepo;
  let serverId: string;
  let caddyImage: string;
  let root: string;
  let serial: string;

  beforeAll(async () => {
    bed = await Testbed.create({ prefix: 'tls' });
    s = await bed.addServer({ name: 'tls' });
    await s.loadImage('busybox');
    const builder = await s.loadImage('debian', { packages: ['git', 'docker.io'], tag: 'openpanel-test/builder:latest' });
    caddyImage = await s.loadImage('debian', { packages: ['caddy'], tag: 'openpanel-test/caddy:latest' });
    repo = new GitRepo();
    repo.commit({ 'Dockerfile': SAMPLE_DOCKERFILE, 'index.html': 'secure v1\n' }, 'v1');
    await repo.serve(bed);
    app = await startTestApp();
    serverId = (await addServer(app.client, s, { name: 'tls' })).id;
    await app.client.proxy.updateSettings({
      serverId,
      settings: { driver: 'caddy', dataDir: '/tmp/openpanel', httpsRedirect: false, imageOverrides: { prefix: null, images: { 'caddy:2': caddyImage, 'docker:27-cli': builder, 'busybox:latest': BUSYBOX_TAG } } },
    });
    const st = await app.client.proxy.install({ serverId });
    expect(st).toMatchObject({ running: true, driver: 'caddy', containerImage: caddyImage });
  });
  afterAll(async () => {
    await app?.close();
    repo?.close();
    await bed?.teardown();
  });

  it('names the field of a bad issuer or image', async () => {
    const e = await rpcError(app.client.apps.create({ name: 'bad', serverId, source: { kind: 'git', url: repo.url, branch: 'main' }, port: 8080, domains: [{ host: 'x.lan', tls: true, issuer: 'self' }] } as never));
    expect(e.code).toBe('INPUT_INVALID');
    expect((e.data as { issues: { path: string }[] }).issues.map((i) => i.path)).toContain('domains[0].issuer');
    const u = await rpcError(app.client.proxy.upgrade({ serverId, image: 'Not An Image!' }));
    expect(u.code).toBe('INPUT_INVALID');
    expect((u.data as { issues: { path: string; message: string }[] }).issues[0]).toMatchObject({ path: 'image', message: expect.stringContaining('image reference') });
    // nothing to report yet: no certificate, no TLS domain
    const r = await app.client.proxy.certificates({ serverId });
    expect(r).toMatchObject({ driver: 'caddy', certificates: [], missing: [], note: null });
  });

  it('gets a certificate from the internal CA offline, serves HTTPS with it, and lists it', async () => {
    const created = await app.client.apps.create({
      name: 'secure',
      serverId,
      source: { kind: 'git', url: repo.url, branch: 'main' },
      port: 8080,
      domains: [
        { host: 'secure.lan', tls: true, issuer: 'internal' },
        { host: 'secure.test', tls: false },
        // a public name with ACME: no internet here, so Caddy fails to get it and logs why
        { host: 'pending.example.com', tls: true },
      ],
    });
    expect(created.domains.map((d) => d.issuer)).toEqual(['internal', 'acme', 'acme']);
    expect(created.urls).toEqual(['https://secure.lan', 'http://secure.test', 'https://pending.example.com']);
    const before = await app.client.proxy.certificates({ serverId });
    expect(before.missing.map((m) => [m.host, m.reason])).toEqual([
      ['secure.lan', expect.stringMatching(/^not deployed yet/)],
      ['pending.example.com', expect.stringMatching(/^not deployed yet/)],
    ]);

    const { deploy, log } = await followDeploy(app.client, (await app.client.apps.deploy({ id: created.id })).id, 120_000);
    expect(deploy.status, log).toBe('succeeded');
    expect(await getByHost(s.host, 'secure.test')).toEqual({ status: 200, body: 'secure v1\n' });

    // the internal CA's root, as the proxy keeps it in the data dir; HTTPS verified against it (and only with it)
    await waitFor(async () => (await s.exec(['test', '-s', `/tmp/openpanel/proxy/caddy-data/caddy/pki/authorities/local/root.crt`])).code === 0, 'the internal CA root', 20_000, 200);
    root = (await s.exec(['docker', 'exec', 'openpanel-proxy', 'cat', ROOT], { check: true })).stdout;
    expect(new X509Certificate(root).subject).toMatch(/Caddy Local Authority/);
    let res = await getHttps(s.host, 'secure.lan', root);
    await waitFor(async () => (res = await getHttps(s.host, 'secure.lan', root)).status === 200, 'HTTPS with the internal certificate', 20_000, 250);
    expect(res.body).toBe('secure v1\n');
    expect(res.cert!.subjectAltName).toBe('DNS:secure.lan');
    expect((await getHttps(s.host, 'secure.lan')).error).toMatch(/UNABLE_TO_GET_ISSUER_CERT_LOCALLY|SELF_SIGNED|UNABLE_TO_VERIFY/);
    serial = res.cert!.serialNumber.toUpperCase();

    // the status lists it, tied to the app, and the ACME domain as missing with Caddy's own error
    let r = await app.client.proxy.certificates({ serverId });
    await waitFor(async () => (r = await app.client.proxy.certificates({ serverId })).missing.some((m) => m.lastError), 'the ACME error in the log', 60_000, 1000);
    const now = Date.now();
    expect(r.certificates).toHaveLength(1);
    const c = r.certificates[0]!;
    expect(c).toMatchObject({ domains: ['secure.lan'], store: 'local', serial, state: 'valid', problems: [], apps: [{ id: created.id, name: 'secure', host: 'secure.lan' }] });
    expect(c.issuer).toMatch(/Caddy Local Authority/);
    expect(c.fingerprint256).toBe(res.cert!.fingerprint256);
    expect(c.notBefore).toBeLessThanOrEqual(now + 60_000);
    expect(c.notAfter).toBeGreaterThan(now + 3_600_000);
    expect(c.notAfter).toBeLessThan(now + 8 * 86_400_000);
    expect(r.missing).toHaveLength(1);
    expect(r.missing[0]).toMatchObject({ host: 'pending.example.com', appName: 'secure', issuer: 'acme', reason: 'the proxy could not get a certificate' });
    expect(r.errors.some((e) => e.domains.includes('pending.example.com'))).toBe(true);
    // the private key never left the server
    expect(JSON.stringify(r)).not.toMatch(/PRIVATE KEY/);
  });

  it('upgrades the proxy to another image keeping its certificates; the app stays reachable', async () => {
    await s.exec(['sh', '-c', `printf 'FROM %s\\nLABEL org.openpanel.test=next\\n' "$1" | docker build -q -t openpanel-test/caddy:next -`, 'sh', caddyImage], { check: true, timeoutMs: 60_000 });
    const before = await app.client.proxy.status({ serverId });
    const up = await app.client.proxy.upgrade({ serverId, image: 'openpanel-test/caddy:next' });
    expect(up).toMatchObject({ running: true, previousImage: caddyImage, image: 'openpanel-test/caddy:next', containerImage: 'openpanel-test/caddy:next' });
    expect(up.containerId).not.toBe(before.containerId);
    expect((await app.client.proxy.settings({ serverId })).proxyImages).toEqual({ traefik: null, caddy: 'openpanel-test/caddy:next' });
    const labels = (await s.exec(['docker', 'inspect', '-f', '{{json .Config.Labels}}', 'openpanel-proxy'], { check: true })).stdout;
    expect(JSON.parse(labels)).toMatchObject({ 'org.openpanel.test': 'next', 'openpanel.proxy': 'caddy' });
    expect((await s.exec(['docker', 'ps', '-aq', '--filter', 'name=openpanel-proxy-previous'], { check: true })).stdout.trim()).toBe('');

    // same CA, same certificate (not re-issued): it survived in the data dir
    let res = await getHttps(s.host, 'secure.lan', root);
    await waitFor(async () => (res = await getHttps(s.host, 'secure.lan', root)).status === 200, 'HTTPS after the upgrade', 20_000, 250);
    expect(res.body).toBe('secure v1\n');
    expect(res.cert!.serialNumber.toUpperCase()).toBe(serial);
    expect(await getByHost(s.host, 'secure.test')).toEqual({ status: 200, body: 'secure v1\n' });
    const r = await app.client.proxy.certificates({ serverId });
    expect(r.certificates.map((c) => [c.domains, c.serial, c.state])).toEqual([[['secure.lan'], serial, 'valid']]);
  });

  it('rolls back an upgrade whose proxy does not start: the previous container serves again, the setting is kept', async () => {
    // an image without caddy: the container exits at once
    await s.exec(['docker', 'tag', BUSYBOX_TAG, 'openpanel-test/caddy:broken'], { check: true });
    const before = await app.client.proxy.status({ serverId });
    const e = await rpcError(app.client.proxy.upgrade({ serverId, image: 'openpanel-test/caddy:broken' }));
    expect(e.code).toBe('REMOTE_COMMAND_FAILED');
    expect(e.message).toMatch(/proxy \(openpanel-test\/caddy:broken\) did not start: it exited with code 127/);
    expect(e.message).toContain('the previous proxy (openpanel-test/caddy:next) was started again');
    expect(e.message).toMatch(/caddy: not found/);
    const after = await app.client.proxy.status({ serverId });
    expect(after).toMatchObject({ running: true, containerId: before.containerId, containerImage: 'openpanel-test/caddy:next' });
    expect((await app.client.proxy.settings({ serverId })).proxyImages.caddy).toBe('openpanel-test/caddy:next');
    // the failed container is gone: one proxy container, the previous one
    const proxies = await s.exec(['docker', 'ps', '-a', '--filter', 'label=openpanel.proxy', '--format', '{{.Names}} {{.Image}} {{.State}}'], { check: true });
    expect(proxies.stdout.trim()).toBe('openpanel-proxy openpanel-test/caddy:next running');
    let res = await getHttps(s.host, 'secure.lan', root);
    await waitFor(async () => (res = await getHttps(s.host, 'secure.lan', root)).status === 200, 'HTTPS after the rollback', 20_000, 250);
    expect(res.cert!.serialNumber.toUpperCase()).toBe(serial);
    expect(await getByHost(s.host, 'secure.test')).toEqual({ status: 200, body: 'secure v1\n' });
  });

  it('restarts the proxy and shows its logs', async () => {
    const before = await app.client.proxy.status({ serverId });
    const st = await app.client.proxy.restart({ serverId });
    expect(st).toMatchObject({ running: true, containerId: before.containerId });
    await waitFor(async () => (await getByHost(s.host, 'secure.test')).status === 200, 'the app through the restarted proxy', 20_000, 250);
    const { text } = await app.client.proxy.logs({ serverId, tail: 200 });
    expect(text).toMatch(/"msg":"serving initial configuration"/);
    // a removed proxy: the status says so instead of failing
    expect(await app.client.proxy.remove({ serverId })).toEqual({ removed: true });
    expect(await app.client.proxy.certificates({ serverId })).toMatchObject({ certificates: [], note: 'the proxy is not installed on this server' });
    expect((await rpcError(app.client.proxy.restart({ serverId }))).code).toBe('NOT_FOUND');
  });
});
