// Real ACME issuance through the product, offline: pebble (Debian's ACME test server) runs in a container on the
// proxy's network on a real test server; the app's proxy (Caddy) is given pebble as its ACME server (settings.acme:
// directory URL + the root of pebble's own HTTPS certificate, made here with openssl). An app with a domain is
// deployed, pebble validates the domain by connecting to it through the server's published ports (the domain
// resolves to the server in pebble's container) and Caddy serves the certificate pebble issued, over HTTP-01 and
// then TLS-ALPN-01. The served chain is verified against pebble's issuing root.
import { request } from 'node:https';
import type { TLSSocket } from 'node:tls';
import { X509Certificate } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUSYBOX_TAG, Testbed, type TestServer } from '../testbed/index.ts';
import { rpcError, startTestApp, waitFor, type TestApp } from '../helpers/app.ts';
import { PEBBLE_DIR, pebbleListenerCertificates, startPebble } from '../helpers/pebble.ts';
import { addServer } from '../helpers/servers.ts';
import { followDeploy, GitRepo, SAMPLE_DOCKERFILE } from './deploy-fixture.ts';

/** GET over HTTPS with SNI; resolves with the status, body, the served chain's leaf and the TLS error (never rejects). */
function getHttps(address: string, port: number, host: string, ca: string | undefined, path = '/'): Promise<{ status: number; body: string; cert: X509Certificate | null; error: string | null }> {
  return new Promise((resolve) => {
    const req = request({ host: address, port, path, servername: host, headers: { Host: host }, ca, agent: false, timeout: 5000 }, (res) => {
      const cert = (res.socket as TLSSocket).getPeerX509Certificate?.() ?? null;
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, cert, error: null }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (e: NodeJS.ErrnoException) => resolve({ status: 0, body: '', cert: null, error: e.code ?? e.message }));
    req.end();
  });
}

describe('ACME issuance from pebble through the proxy settings (real sshd + dockerd, Caddy)', () => {
  let bed: Testbed;
  let s: TestServer;
  let app: TestApp;
  let repo: GitRepo;
  let serverId: string;
  let listener: { ca: string; cert: string; key: string };
  let pebbleRoot: string;
  let images: Record<string, string>;

  beforeAll(async () => {
    bed = await Testbed.create({ prefix: 'acme' });
    s = await bed.addServer({ name: 'acme' });
    await s.loadImage('busybox');
    const [builder, caddy, pebble] = await Promise.all([
      s.loadImage('debian', { packages: ['git', 'docker.io', 'openssh-client'], tag: 'openpanel-test/builder:latest' }),
      s.loadImage('debian', { packages: ['caddy'], tag: 'openpanel-test/caddy:latest' }),
      s.loadImage('debian', { packages: ['pebble'], tag: 'openpanel-test/pebble:latest' }),
    ]);
    images = { 'caddy:2': caddy, 'docker:27-cli': builder, 'busybox:latest': BUSYBOX_TAG };
    listener = pebbleListenerCertificates();
    repo = new GitRepo();
    repo.commit({ Dockerfile: SAMPLE_DOCKERFILE, 'index.html': 'acme v1\n' }, 'v1');
    await repo.serve(bed);
    app = await startTestApp();
    serverId = (await addServer(app.client, s, { name: 'acme' })).id;
    await app.client.proxy.updateSettings({
      serverId,
      settings: {
        driver: 'caddy',
        dataDir: '/tmp/openpanel',
        imageOverrides: { prefix: null, images },
        acme: { email: 'ops@example.com', challenge: 'http', dnsProvider: null, staging: false, directoryUrl: PEBBLE_DIR, caRoot: listener.ca },
      },
    });
    expect(await app.client.proxy.install({ serverId })).toMatchObject({ running: true, driver: 'caddy' });

    // pebble on the proxy's network; validation connects to the domains, which resolve to the server itself
    await startPebble(s, pebble, listener, { 'http01.example.com': s.host, 'alpn01.example.com': s.host }, { publishManagement: true });
    // pebble's issuing root (new at each start), read over its management port, itself verified with the listener CA
    const root = await waitFor(async () => {
      const r = await getHttps(s.host, 15000, 'pebble', listener.ca, '/roots/0');
      return r.status === 200 ? r.body : null;
    }, "pebble's root", 20_000, 200);
    pebbleRoot = root;
    expect(new X509Certificate(pebbleRoot).subject).toMatch(/CN=Pebble Root CA/);
  });
  afterAll(async () => {
    await app?.close();
    repo?.close();
    await bed?.teardown();
  });

  it('names the field of a bad ACME server or root, and shows the setting in the Caddyfile', async () => {
    const current = (await app.client.proxy.settings({ serverId })).acme;
    const e = await rpcError(app.client.proxy.updateSettings({ serverId, settings: { acme: { ...current, directoryUrl: 'http://pebble:14000/dir' } } }));
    expect(e.code).toBe('INPUT_INVALID');
    expect((e.data as { issues: { path: string; message: string }[] }).issues[0]).toMatchObject({ path: 'settings.acme.directoryUrl', message: expect.stringContaining('https URL') });
    const r = await rpcError(app.client.proxy.updateSettings({ serverId, settings: { acme: { ...current, caRoot: '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----' } } }));
    expect(r).toMatchObject({ code: 'INPUT_INVALID', message: expect.stringMatching(/^settings\.acme\.caRoot: /) });
    expect((await app.client.proxy.settings({ serverId })).acme).toEqual(current);
    const st = await app.client.proxy.status({ serverId });
    expect(st.config).toContain(`acme_ca ${PEBBLE_DIR}\n`);
    expect(st.config).toContain('acme_ca_root /etc/openpanel/acme-ca-root.pem');
    expect(st.config).toContain('disable_tlsalpn_challenge');
    // the root reached the container as a file
    expect((await s.exec(['docker', 'exec', 'openpanel-proxy', 'cat', '/etc/openpanel/acme-ca-root.pem'], { check: true })).stdout.trim()).toBe(listener.ca.trim());
  });

  /** Deploys an app with one ACME domain and waits until the proxy serves it with a certificate pebble's root verifies. */
  async function deployAndVerify(name: string, host: string) {
    const created = await app.client.apps.create({ name, serverId, source: { kind: 'git', url: repo.url, branch: 'main' }, port: 8080, domains: [{ host, tls: true }] });
    const { deploy, log } = await followDeploy(app.client, (await app.client.apps.deploy({ id: created.id })).id, 120_000);
    expect(deploy.status, log).toBe('succeeded');
    let res = await getHttps(s.host, 443, host, pebbleRoot);
    await waitFor(async () => (res = await getHttps(s.host, 443, host, pebbleRoot)).status === 200, `HTTPS for ${host} verified against pebble's root (last: ${res.error})`, 30_000, 250);
    expect(res.body).toBe('acme v1\n');
    expect(res.cert!.subjectAltName).toBe(`DNS:${host}`);
    expect(res.cert!.issuer).toMatch(/CN=Pebble Intermediate CA/);
    // positive control of the verification: without pebble's root the same chain is refused
    expect((await getHttps(s.host, 443, host, undefined)).error).toMatch(/UNABLE_TO_GET_ISSUER_CERT_LOCALLY|UNABLE_TO_VERIFY|SELF_SIGNED/);
    // pebble itself knows this serial as one it issued
    const status = await getHttps(s.host, 15000, 'pebble', listener.ca, `/cert-status-by-serial/${res.cert!.serialNumber.toLowerCase().replace(/^0+/, '')}`);
    expect(status.status, status.body).toBe(200);
    expect(JSON.parse(status.body)).toMatchObject({ Status: 'Valid' });
    return { id: created.id, cert: res.cert! };
  }

  /**
   * From the proxy's log (through the product's logs call): the challenge types Caddy tried for a host, and those it
   * answered a validation request for (pebble connecting to it).
   */
  async function challenges(host: string): Promise<{ tried: string[]; served: string[] }> {
    const { text } = await app.client.proxy.logs({ serverId, tail: 2000 });
    // HTTP-01 answers are logged with `identifier`, TLS-ALPN-01 ones with `server_name`
    const lines = text
      .split('\n')
      .filter((l) => l.startsWith('{') && (l.includes(`"identifier":"${host}"`) || l.includes(`"server_name":"${host}"`)))
      .map((l) => JSON.parse(l) as { msg: string; challenge_type?: string; challenge?: string });
    return {
      tried: lines.filter((l) => l.msg === 'trying to solve challenge').map((l) => l.challenge_type!),
      served: [...new Set(lines.filter((l) => l.msg.startsWith('served key authentication')).map((l) => l.challenge!))],
    };
  }

  it('gets a certificate from pebble over HTTP-01 and lists it as issued by ACME', async () => {
    const { id, cert } = await deployAndVerify('http01', 'http01.example.com');
    expect(await challenges('http01.example.com')).toEqual({ tried: ['http-01'], served: ['http-01'] });
    const pebbleLog = (await s.exec(['docker', 'logs', 'pebble'], { check: true })).stdout;
    expect(pebbleLog).toContain('Attempting to validate w/ HTTP: http://http01.example.com:80/.well-known/acme-challenge/');

    const r = await app.client.proxy.certificates({ serverId });
    const c = r.certificates.find((x) => x.domains.includes('http01.example.com'));
    expect(c).toMatchObject({ issuedBy: 'acme', store: 'pebble-14000-dir', state: 'valid', problems: [], apps: [{ id, name: 'http01', host: 'http01.example.com' }] });
    expect(c!.issuer).toMatch(/^Pebble Intermediate CA/);
    expect(c!.fingerprint256).toBe(cert.fingerprint256);
    expect(r.missing).toEqual([]);
  });

  it('gets one over TLS-ALPN-01 once the setting says so (port 80 not used for the challenge)', async () => {
    const current = (await app.client.proxy.settings({ serverId })).acme;
    await app.client.proxy.updateSettings({ serverId, settings: { acme: { ...current, challenge: 'tls-alpn' } } });
    const st = await app.client.proxy.install({ serverId });
    expect(st.config).toContain('disable_http_challenge');
    expect(st.config).not.toContain('disable_tlsalpn_challenge');
    const before = (await s.exec(['docker', 'logs', 'pebble'], { check: true })).stdout.length;

    await deployAndVerify('alpn01', 'alpn01.example.com');
    expect(await challenges('alpn01.example.com')).toEqual({ tried: ['tls-alpn-01'], served: ['tls-alpn-01'] });
    // pebble validated alpn01 (a task for it), and not over HTTP
    const pebbleLog = (await s.exec(['docker', 'logs', 'pebble'], { check: true })).stdout.slice(before);
    expect(pebbleLog).toContain('Value:"alpn01.example.com"');
    expect(pebbleLog).not.toContain('Attempting to validate w/ HTTP');

    const r = await app.client.proxy.certificates({ serverId });
    expect(r.certificates.map((c) => [c.domains, c.issuedBy, c.store, c.state]).sort()).toEqual([
      [['alpn01.example.com'], 'acme', 'pebble-14000-dir', 'valid'],
      [['http01.example.com'], 'acme', 'pebble-14000-dir', 'valid'],
    ]);
    // the HTTP-01 certificate survived the reinstall (the data dir is kept)
    expect((await getHttps(s.host, 443, 'http01.example.com', pebbleRoot)).status).toBe(200);
  });
});
