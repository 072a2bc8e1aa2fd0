import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { ShipSettings, ShipSettingsUpdate } from '../../../shared/contract/proxy.ts';
import { CADDY_ACME_CA_ROOT, CADDY_BOOT, caddyfile, caddySite, UPSTREAM_PLACEHOLDER } from './caddy.ts';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { caddyDriver, traefikDriver } from './driver.ts';
import { checkTraefikArgs, checkTraefikLabels, traefikArgs, traefikLabels } from './traefik.ts';

const defaults = ShipSettings.parse({});
const acmeHttp = ShipSettings.parse({ acme: { email: 'ops@example.com' } });
const acmeDns = ShipSettings.parse({ acme: { email: 'ops@example.com', challenge: 'dns', dnsProvider: 'cloudflare', staging: true }, dnsEnvNames: ['CF_DNS_API_TOKEN'] });

describe('Traefik static configuration', () => {
  it('uses only documented options, and every reference resolves', () => {
    for (const s of [defaults, acmeHttp, acmeDns, ShipSettings.parse({ httpsRedirect: false })]) {
      expect(checkTraefikArgs(traefikArgs(s, 'openpanel'))).toEqual([]);
    }
  });
  it('has entry points 80/443, the HTTP→HTTPS redirect and the Docker provider on the dedicated network', () => {
    const a = traefikArgs(defaults, 'openpanel');
    expect(a).toContain('--entryPoints.web.address=:80');
    expect(a).toContain('--entryPoints.websecure.address=:443');
    expect(a).toContain('--entryPoints.web.http.redirections.entryPoint.to=websecure');
    expect(a).toContain('--entryPoints.web.http.redirections.entryPoint.scheme=https');
    expect(a).toContain('--providers.docker.exposedByDefault=false');
    expect(a).toContain('--providers.docker.network=openpanel');
    expect(a.some((x) => x.includes('certificatesResolvers'))).toBe(false);
    expect(traefikArgs(ShipSettings.parse({ httpsRedirect: false }), 'n').some((x) => x.includes('redirections'))).toBe(false);
  });
  it('configures ACME HTTP-01 or DNS-01', () => {
    const h = traefikArgs(acmeHttp, 'openpanel');
    expect(h).toContain('--certificatesResolvers.le.acme.httpChallenge.entryPoint=web');
    expect(h).toContain('--certificatesResolvers.le.acme.storage=/data/acme.json');
    expect(h).toContain('--entryPoints.websecure.http.tls.certResolver=le');
    const d = traefikArgs(acmeDns, 'openpanel');
    expect(d).toContain('--certificatesResolvers.le.acme.dnsChallenge.provider=cloudflare');
    expect(d).toContain('--certificatesResolvers.le.acme.caServer=https://acme-staging-v02.api.letsencrypt.org/directory');
    expect(d.some((x) => x.includes('httpChallenge'))).toBe(false);
  });
  it('never opens the API insecurely: the dashboard is a router to api@internal on the loopback-published traefik entry point', () => {
    for (const s of [defaults, acmeHttp, acmeDns]) expect(traefikArgs(s, 'openpanel').filter((x) => /api\.insecure/i.test(x))).toEqual([]);
    expect(checkTraefikArgs(['--api.insecure=true'])).toEqual(['undocumented option: api.insecure']);
    const c = traefikDriver.container({ settings: defaults, image: 'traefik:v3.3', dockerSocket: '/run/docker.sock', dnsEnv: {} });
    expect((c.Cmd as string[]).filter((x) => /insecure/i.test(x))).toEqual([]);
    expect(c.Labels).toMatchObject({ 'traefik.enable': 'true', 'traefik.http.routers.op-dashboard.entrypoints': 'traefik', 'traefik.http.routers.op-dashboard.service': 'api@internal' });
    expect(c.HostConfig?.PortBindings?.['8080/tcp']).toEqual([{ HostIp: '127.0.0.1', HostPort: '8080' }]);
  });
  it('the checker catches undocumented options and dangling references', () => {
    expect(checkTraefikArgs(['--entryPoints.web.adress=:80'])).toEqual(['undocumented option: entryPoints.web.adress']);
    expect(checkTraefikArgs(['--entryPoints.web.address=:80', '--entryPoints.web.http.redirections.entryPoint.to=secure'])[0]).toMatch(/unknown entry point secure/);
    expect(checkTraefikArgs(['--entryPoints.websecure.http.tls.certResolver=x'])[0]).toMatch(/unknown resolver x/);
  });
});

describe('Traefik labels', () => {
  const app = { name: 'web', port: 8080, domains: [{ host: 'a.example.com', tls: true }, { host: 'b.example.com', tls: true }, { host: 'plain.test', tls: false }] };
  it('routes by Host to the app port on the dedicated network, with documented labels only', () => {
    const l = traefikLabels(app, 'openpanel', true);
    expect(checkTraefikLabels(l, ['web', 'websecure'])).toEqual([]);
    expect(l['traefik.enable']).toBe('true');
    expect(l['traefik.docker.network']).toBe('openpanel');
    expect(l['traefik.http.routers.op-web.rule']).toBe('Host(`a.example.com`) || Host(`b.example.com`)');
    expect(l['traefik.http.routers.op-web.tls.certresolver']).toBe('le');
    expect(l['traefik.http.routers.op-web-http.rule']).toBe('Host(`plain.test`)');
    expect(l['traefik.http.routers.op-web-http.entrypoints']).toBe('web');
    expect(l['traefik.http.services.op-web.loadbalancer.server.port']).toBe('8080');
  });
  it('routes internal-CA domains on a router of their own, with TLS and no resolver (not the entry point default)', () => {
    const l = traefikLabels({ ...app, domains: [{ host: 'a.example.com', tls: true, issuer: 'acme' }, { host: 'nas.lan', tls: true, issuer: 'internal' }] }, 'openpanel', true);
    expect(checkTraefikLabels(l, ['web', 'websecure'])).toEqual([]);
    expect(l['traefik.http.routers.op-web.rule']).toBe('Host(`a.example.com`)');
    expect(l['traefik.http.routers.op-web-internal.rule']).toBe('Host(`nas.lan`)');
    expect(l['traefik.http.routers.op-web-internal.entrypoints']).toBe('websecure');
    expect(l['traefik.http.routers.op-web-internal.tls']).toBe('true');
    expect(l['traefik.http.routers.op-web-internal.service']).toBe('op-web');
    expect(Object.keys(l).filter((k) => k.includes('op-web-internal.tls.certresolver'))).toEqual([]);
  });
  it('adds nothing for an app without domains; the checker catches mistakes', () => {
    expect(traefikLabels({ ...app, domains: [] }, 'openpanel', false)).toEqual({});
    expect(checkTraefikLabels({ 'traefik.http.routers.x.entrypoint': 'web' }, ['web'])).toEqual(['undocumented label: traefik.http.routers.x.entrypoint']);
    expect(checkTraefikLabels({ 'traefik.http.routers.x.service': 'nope' }, ['web'])).toEqual(['traefik.http.routers.x.service names an undefined service nope']);
  });
});

describe('Caddy configuration', () => {
  it('imports the per-app site files and sets the ACME account', () => {
    expect(caddyfile(defaults)).toContain('import /etc/openpanel/sites/*.caddy');
    expect(caddyfile(acmeHttp)).toContain('email ops@example.com');
    expect(caddyfile(ShipSettings.parse({ httpsRedirect: false }))).toContain('auto_https disable_redirects');
  });
  it('writes one block for TLS domains and one for plain HTTP, upstream left to the job', () => {
    const s = caddySite({ name: 'web', domains: [{ host: 'a.example.com', tls: true }, { host: 'plain.test', tls: false }] })!;
    expect(s).toContain('a.example.com {');
    expect(s).toContain('http://plain.test {');
    expect(s.split(UPSTREAM_PLACEHOLDER)).toHaveLength(3);
    expect(caddySite({ name: 'web', domains: [] })).toBeNull();
  });
  it("puts internal-CA domains in a block with `tls internal`; the CA's root is never installed into a trust store", () => {
    const s = caddySite({ name: 'web', domains: [{ host: 'a.example.com', tls: true, issuer: 'acme' }, { host: 'nas.lan', tls: true, issuer: 'internal' }, { host: 'b.lan', tls: true, issuer: 'internal' }] })!;
    expect(s).toContain('a.example.com {\n\treverse_proxy');
    expect(s).toContain('nas.lan, b.lan {\n\ttls internal\n\treverse_proxy');
    expect(s.match(/tls internal/g)).toHaveLength(1);
    expect(caddyfile(defaults)).toContain('\tskip_install_trust\n');
  });
});

const PEM = '-----BEGIN CERTIFICATE-----\nMIIBAA==\n-----END CERTIFICATE-----';
const privateCa = ShipSettings.parse({ driver: 'caddy', acme: { email: 'ops@example.com', directoryUrl: 'https://ca.internal:9000/acme/acme/directory', caRoot: PEM } });

describe('ACME server (a private CA or a staging directory)', () => {
  it('Caddy: acme_ca, acme_ca_root and one ACME issuer with only the chosen challenge', () => {
    const c = caddyfile(privateCa);
    expect(c).toContain('\tacme_ca https://ca.internal:9000/acme/acme/directory\n');
    expect(c).toContain(`\tacme_ca_root ${CADDY_ACME_CA_ROOT}\n`);
    expect(c).toContain('\tcert_issuer acme {\n\t\tdisable_tlsalpn_challenge\n\t}\n');
    const alpn = caddyfile({ ...privateCa, acme: { ...privateCa.acme, challenge: 'tls-alpn' } });
    expect(alpn).toContain('\tcert_issuer acme {\n\t\tdisable_http_challenge\n\t}\n');
    expect(alpn).not.toContain('disable_tlsalpn');
    // the directory wins over the staging switch; without either, Let's Encrypt (no acme_ca line)
    expect(caddyfile({ ...privateCa, acme: { ...privateCa.acme, staging: true } }).match(/acme_ca /g)).toHaveLength(1);
    expect(caddyfile(defaults)).not.toMatch(/acme_ca/);
  });
  it('Caddy gets the root as an OP_ variable that its constant boot script writes to a file', () => {
    const env = caddyDriver.container({ settings: privateCa, image: 'caddy:2', dockerSocket: '/run/docker.sock', dnsEnv: {} }).Env!;
    expect(env).toContain(`OP_ACME_CA_ROOT=${PEM}`);
    expect(caddyDriver.container({ settings: defaults, image: 'caddy:2', dockerSocket: '/run/docker.sock', dnsEnv: {} }).Env!.some((e) => e.startsWith('OP_ACME_CA_ROOT='))).toBe(false);
    expect(CADDY_BOOT).toContain('"$OP_ACME_CA_ROOT" > /etc/openpanel/acme-ca-root.pem');
    expect(CADDY_ACME_CA_ROOT).toBe('/etc/openpanel/acme-ca-root.pem');
    expect(spawnSync('sh', ['-n', '-c', CADDY_BOOT]).status).toBe(0);
  });
  it('the boot script writes the Caddyfile with exactly one final newline, as caddy fmt does (run on real sh)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'op-caddy-boot-'));
    try {
      writeFileSync(join(dir, 'caddy'), '#!/bin/sh\necho "caddy $*"\n', { mode: 0o755 });
      const script = CADDY_BOOT.replaceAll('/etc/openpanel', join(dir, 'conf'));
      const text = caddyfile(acmeHttp);
      const r = spawnSync('sh', ['-c', script], { env: { PATH: `${dir}:/usr/bin:/bin`, OP_CADDYFILE: `${text}\n\n` }, encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      expect(readFileSync(join(dir, 'conf', 'Caddyfile'), 'utf8')).toBe(text);
      expect(r.stdout).toContain(`caddy run --config ${join(dir, 'conf')}/Caddyfile --adapter caddyfile`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
  it('Traefik: caServer and the TLS-ALPN challenge, with documented options only', () => {
    const t = ShipSettings.parse({ acme: { email: 'ops@example.com', directoryUrl: 'https://ca.internal/dir', challenge: 'tls-alpn' } });
    const a = traefikArgs(t, 'openpanel');
    expect(checkTraefikArgs(a)).toEqual([]);
    expect(a).toContain('--certificatesResolvers.le.acme.caServer=https://ca.internal/dir');
    expect(a).toContain('--certificatesResolvers.le.acme.tlsChallenge=true');
    expect(a.some((x) => x.includes('httpChallenge'))).toBe(false);
  });
  it('accepts only an https URL with nothing that could end a Caddyfile token, naming the field', () => {
    const issue = (directoryUrl: string) => {
      const r = ShipSettingsUpdate.safeParse({ serverId: 's1', settings: { acme: { directoryUrl } } });
      return r.success ? null : { path: r.error.issues[0]!.path.join('.'), message: r.error.issues[0]!.message };
    };
    expect(issue('https://acme-staging-v02.api.letsencrypt.org/directory')).toBeNull();
    expect(issue('https://10.0.0.5:14000/dir')).toBeNull();
    for (const bad of ['http://ca.internal/dir', 'ca.internal/dir', 'https://ca.internal/dir\n}\nimport /etc/passwd', 'https://ca.internal/{env.HOME}', 'https://ca.internal/a b', 'https://ca.internal/"x', 'https://ca.internal/#x', 'https://ca.internal/`x`', 'ftp://x']) {
      expect(issue(bad), bad).toEqual({ path: 'settings.acme.directoryUrl', message: expect.stringContaining('https URL of an ACME directory') });
    }
    const root = ShipSettingsUpdate.safeParse({ serverId: 's1', settings: { acme: { caRoot: 'not a certificate\n}' } } });
    expect(root.success ? null : [root.error.issues[0]!.path.join('.'), root.error.issues[0]!.message]).toEqual(['settings.acme.caRoot', expect.stringContaining('PEM certificates')]);
    expect(ShipSettings.parse({ acme: {} }).acme).toMatchObject({ directoryUrl: null, caRoot: null, challenge: 'http' });
  });
});

describe('settings update', () => {
  it('a patch carries only the fields it names (no defaults that would reset the driver, data dir or overrides)', () => {
    const u = ShipSettingsUpdate.parse({ serverId: 's1', settings: { acme: { challenge: 'tls-alpn' } } });
    expect(Object.keys(u.settings)).toEqual(['acme']);
    expect(u.settings.acme).toMatchObject({ challenge: 'tls-alpn', email: null });
    expect(ShipSettingsUpdate.parse({ serverId: 's1', settings: {} }).settings).toEqual({});
    expect(ShipSettingsUpdate.safeParse({ serverId: 's1', settings: { driver: 'nginx' } }).success).toBe(false);
    expect(ShipSettingsUpdate.safeParse({ serverId: 's1', settings: { unknown: 1 } }).success).toBe(false);
  });
});
