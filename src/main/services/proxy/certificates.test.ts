import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acmeErrors, caddyCertificates, certificateReport, certificateState, covers, leafOf, sanNames, traefikCertificates, untar, type ServedDomain } from './certificates.ts';

const DAY = 86_400_000;
let dir: string;

/** A CA and a leaf signed by it, made by openssl (what a real issuer hands out: leaf first, then the chain). */
function issue(name: string, sans: string, days: number): { leaf: string; chain: string; key: string; ca: string } {
  const d = join(dir, name);
  mkdirSync(d, { recursive: true });
  const ssl = (args: string[]) => execFileSync('openssl', args, { cwd: d, stdio: 'pipe' });
  ssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '3650', '-subj', '/O=Test Org/CN=Test Issuing CA', '-keyout', 'ca.key', '-out', 'ca.crt']);
  ssl(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-subj', `/CN=${name.length > 64 ? 'long-name' : name}`, '-keyout', 'leaf.key', '-out', 'leaf.csr']);
  writeFileSync(join(d, 'ext'), `subjectAltName=${sans}\n`);
  ssl(['x509', '-req', '-in', 'leaf.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-days', String(days), '-extfile', 'ext', '-out', 'leaf.crt']);
  const leaf = readFileSync(join(d, 'leaf.crt'), 'utf8');
  const ca = readFileSync(join(d, 'ca.crt'), 'utf8');
  return { leaf, ca, chain: leaf + ca, key: readFileSync(join(d, 'leaf.key'), 'utf8') };
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'openpanel-certs-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('reading certificates', () => {
  it('takes the leaf of a chain: SANs, issuer, serial, validity', () => {
    const c = issue('app.example.com', 'DNS:app.example.com,DNS:*.apps.example.com,IP:10.0.0.7', 30);
    const r = leafOf(c.chain, 'le')!;
    expect(r.domains).toEqual(['app.example.com', '*.apps.example.com', '10.0.0.7']);
    expect(r.subject).toBe('app.example.com');
    expect(r.issuer).toBe('Test Issuing CA');
    expect(r.store).toBe('le');
    expect(r.serial).toMatch(/^[0-9A-F]+$/);
    expect(r.fingerprint256).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    expect(r.notAfter - r.notBefore).toBe(30 * DAY);
    expect(Math.abs(r.notBefore - Date.now())).toBeLessThan(60_000);
    expect(leafOf('no certificate here', 'x')).toBeNull();
    expect(leafOf('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----', 'x')).toBeNull();
    expect(sanNames('DNS:a.test, DNS:"B.test", IP Address:::1')).toEqual(['a.test', 'b.test', '::1']);
    // an empty subject, as Caddy's internal CA issues them: the names are in the SANs only
    const d = join(dir, 'empty');
    mkdirSync(d);
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', '/', '-addext', 'subjectAltName=critical,DNS:nas.lan', '-keyout', 'k', '-out', 'c'], { cwd: d, stdio: 'pipe' });
    expect(leafOf(readFileSync(join(d, 'c'), 'utf8'), 'local')).toMatchObject({ domains: ['nas.lan'], subject: '', issuer: '', store: 'local' });
  });

  it("parses Traefik's acme.json (base64 PEM chains per resolver); keys and bad entries are ignored", () => {
    const a = issue('a.example.com', 'DNS:a.example.com,DNS:www.a.example.com', 90);
    const b = issue('b.example.com', 'DNS:b.example.com', 90);
    const acme = {
      le: {
        Account: { Email: 'ops@example.com', Registration: { uri: 'https://acme.example/acct/1' }, PrivateKey: 'MIIE…', KeyType: '4096' },
        Certificates: [
          { domain: { main: 'a.example.com', sans: ['www.a.example.com'] }, certificate: Buffer.from(a.chain).toString('base64'), key: Buffer.from(a.key).toString('base64'), Store: 'default' },
          { domain: { main: 'broken.example.com' }, certificate: Buffer.from('not a pem').toString('base64'), key: '', Store: 'default' },
          { domain: { main: 'nothing.example.com' } },
        ],
      },
      staging: { Account: null, Certificates: [{ domain: { main: 'b.example.com' }, certificate: Buffer.from(b.chain).toString('base64'), key: Buffer.from(b.key).toString('base64'), Store: 'default' }] },
      empty: { Account: null, Certificates: null },
    };
    const certs = traefikCertificates(JSON.stringify(acme));
    expect(certs.map((c) => [c.store, c.domains])).toEqual([
      ['le', ['a.example.com', 'www.a.example.com']],
      ['staging', ['b.example.com']],
    ]);
    expect(JSON.stringify(certs)).not.toContain('PRIVATE');
    expect(traefikCertificates('')).toEqual([]);
    expect(traefikCertificates('{"le": 1}')).toEqual([]);
  });

  it("parses Caddy's certificate folder from a tar archive (pax and GNU long names), keeping only .crt files", () => {
    const long = `${'very-long-subdomain-name-'.repeat(3)}x.example.com`;
    const c = issue(long, `DNS:${long}`, 1);
    const i = issue('lan.internal', 'DNS:lan.internal', 1);
    const root = join(dir, 'caddy');
    for (const [issuer, name, cert] of [['acme-v02.api.letsencrypt.org-directory', long, c], ['local', 'lan.internal', i]] as const) {
      mkdirSync(join(root, 'certificates', issuer, name), { recursive: true });
      writeFileSync(join(root, 'certificates', issuer, name, `${name}.crt`), cert.chain);
      writeFileSync(join(root, 'certificates', issuer, name, `${name}.key`), cert.key);
      writeFileSync(join(root, 'certificates', issuer, name, `${name}.json`), JSON.stringify({ sans: [name] }));
    }
    for (const format of ['pax', 'gnu', 'ustar']) {
      const tarFile = join(dir, `c-${format}.tar`);
      try {
        execFileSync('tar', [`--format=${format}`, '-cf', tarFile, '-C', root, 'certificates'], { stdio: 'pipe' });
      } catch (e) {
        // plain ustar cannot store a 200-character path: that is the point of the other two formats
        expect(format).toBe('ustar');
        expect(String((e as { stderr?: Buffer }).stderr)).toMatch(/too long|name/i);
        continue;
      }
      const files = untar(readFileSync(tarFile), (n) => n.endsWith('.crt'));
      expect(files.map((f) => f.name).sort()).toEqual([`certificates/acme-v02.api.letsencrypt.org-directory/${long}/${long}.crt`, 'certificates/local/lan.internal/lan.internal.crt']);
      expect(files.some((f) => f.data.toString().includes('PRIVATE KEY'))).toBe(false);
      const certs = caddyCertificates(files);
      expect(certs.map((x) => [x.store, x.domains[0]]).sort()).toEqual([
        ['acme-v02.api.letsencrypt.org-directory', long],
        ['local', 'lan.internal'],
      ]);
    }
  });

  it('finds the last certificate error per set of names in Caddy and Traefik logs', () => {
    const caddy = [
      '{"level":"info","ts":1700000000.1,"logger":"tls.obtain","msg":"acquiring lock","identifier":"a.example.com"}',
      '{"level":"error","ts":1700000001.5,"logger":"tls.obtain","msg":"could not get certificate from issuer","identifier":"a.example.com","issuer":"acme-v02.api.letsencrypt.org-directory","error":"HTTP 400 urn:ietf:params:acme:error:connection - Timeout during connect"}',
      '{"level":"error","ts":1700000002,"logger":"tls.issuance.acme.acme_client","msg":"challenge failed","identifier":"a.example.com","challenge_type":"http-01","problem":{"type":"urn:ietf:params:acme:error:dns","detail":"NXDOMAIN looking up A for a.example.com"}}',
      'not json at all',
      '{"level":"error","ts":1700000003,"logger":"http.log.error","msg":"dial tcp: connection refused"}',
    ].join('\n');
    expect(acmeErrors(caddy)).toEqual([{ domains: ['a.example.com'], message: 'challenge failed: NXDOMAIN looking up A for a.example.com', at: 1700000002000 }]);
    const traefik = [
      '2025-03-01T10:00:00Z INF Starting provider *acme.ChallengeTLSALPN',
      '2025-03-01T10:00:05Z ERR Unable to obtain ACME certificate for domains error="unable to generate a certificate for the domains [b.example.com www.b.example.com]: error: one or more domains had a problem:\\n[b.example.com] invalid authorization: acme: error: 403 :: urn:ietf:params:acme:error:unauthorized" ACME CA=https://acme-v02.api.letsencrypt.org/directory acmeCA=https://acme-v02.api.letsencrypt.org/directory domains=["b.example.com","www.b.example.com"] providerName=le.acme routerName=op-b@docker rule="Host(`b.example.com`)"',
      '2025-03-01T11:00:00Z ERR Unable to obtain ACME certificate for domains error="rate limited" domains=["c.example.com"] providerName=le.acme',
    ].join('\n');
    const t = acmeErrors(traefik);
    expect(t.map((e) => e.domains)).toEqual([['c.example.com'], ['b.example.com', 'www.b.example.com']]);
    expect(t[1]!.message).toContain('urn:ietf:params:acme:error:unauthorized');
    expect(t[1]!.at).toBe(Date.parse('2025-03-01T10:00:05Z'));
    expect(acmeErrors('')).toEqual([]);
  });
});

describe('the certificate report', () => {
  const now = Date.parse('2025-06-01T00:00:00Z');
  const cert = (domains: string[], notBefore: number, notAfter: number, store = 'le') => ({ domains, subject: domains[0]!, issuer: 'R11', store, serial: '01', fingerprint256: 'AA', notBefore, notAfter });
  const served: ServedDomain[] = [
    { host: 'shop.example.com', tls: true, issuer: 'acme', appId: 'a1', appName: 'shop', deployed: true },
    { host: 'x.apps.example.com', tls: true, issuer: 'acme', appId: 'a2', appName: 'x', deployed: true },
    { host: 'plain.example.com', tls: false, issuer: 'acme', appId: 'a2', appName: 'x', deployed: true },
    { host: 'new.example.com', tls: true, issuer: 'acme', appId: 'a3', appName: 'new', deployed: false },
    { host: 'broken.example.com', tls: true, issuer: 'acme', appId: 'a4', appName: 'broken', deployed: true },
    { host: 'nas.lan', tls: true, issuer: 'internal', appId: 'a5', appName: 'nas', deployed: true },
  ];

  it('says who issued each certificate: Caddy keeps its internal CA under local, every ACME directory elsewhere', () => {
    const certs = [cert(['nas.lan'], now - DAY, now + DAY / 2, 'local'), cert(['shop.example.com'], now - DAY, now + 80 * DAY, 'pebble-14000-dir')];
    const caddy = certificateReport({ serverId: 's', driver: 'caddy', certificates: certs, domains: served, errors: [], now });
    expect(caddy.certificates.map((c) => [c.store, c.issuedBy])).toEqual([['local', 'internal'], ['pebble-14000-dir', 'acme']]);
    const traefik = certificateReport({ serverId: 's', driver: 'traefik', certificates: [cert(['shop.example.com'], now - DAY, now + 80 * DAY, 'local')], domains: served, errors: [], now });
    expect(traefik.certificates[0]!.issuedBy).toBe('acme');
  });

  it('states: valid, expiring within 14 days (or a third of a short lifetime), expired, not yet valid', () => {
    expect(certificateState({ notBefore: now - 10 * DAY, notAfter: now + 80 * DAY }, now)).toBe('valid');
    expect(certificateState({ notBefore: now - 80 * DAY, notAfter: now + 13 * DAY }, now)).toBe('expiring');
    expect(certificateState({ notBefore: now - 80 * DAY, notAfter: now + 15 * DAY }, now)).toBe('valid');
    expect(certificateState({ notBefore: now - 90 * DAY, notAfter: now - 1 }, now)).toBe('expired');
    expect(certificateState({ notBefore: now + DAY, notAfter: now + 90 * DAY }, now)).toBe('not-yet-valid');
    // the internal CA's 12 h certificates: fine with 9 h left, expiring with 3 h left (renewal is due at 4 h)
    expect(certificateState({ notBefore: now - 3 * 3_600_000, notAfter: now + 9 * 3_600_000 }, now)).toBe('valid');
    expect(certificateState({ notBefore: now - 9 * 3_600_000, notAfter: now + 3 * 3_600_000 }, now)).toBe('expiring');
    expect(covers('*.apps.example.com', 'x.apps.example.com')).toBe(true);
    expect(covers('*.apps.example.com', 'a.x.apps.example.com')).toBe(false);
    expect(covers('*.apps.example.com', 'apps.example.com')).toBe(false);
    expect(covers('Shop.Example.com', 'shop.example.com')).toBe(true);
  });

  it('ties certificates to apps, lists problems and the TLS domains without one', () => {
    const r = certificateReport({
      serverId: 's1',
      driver: 'caddy',
      now,
      certificates: [
        cert(['shop.example.com'], now - 80 * DAY, now + 10 * DAY),
        cert(['*.apps.example.com'], now - 10 * DAY, now + 80 * DAY),
        cert(['old.example.com'], now - 100 * DAY, now - 10 * DAY),
      ],
      domains: served,
      errors: [{ domains: ['shop.example.com'], message: 'rate limited', at: now - DAY }, { domains: ['broken.example.com'], message: 'NXDOMAIN', at: now - 3600_000 }],
    });
    const by = Object.fromEntries(r.certificates.map((c) => [c.domains[0], c]));
    expect(by['shop.example.com']).toMatchObject({ state: 'expiring', daysLeft: 10, apps: [{ id: 'a1', name: 'shop', host: 'shop.example.com' }] });
    expect(by['shop.example.com']!.problems).toEqual(['expires in 10 days and has not been renewed', 'last certificate error: rate limited']);
    expect(by['*.apps.example.com']).toMatchObject({ state: 'valid', problems: [], apps: [{ id: 'a2', name: 'x', host: 'x.apps.example.com' }] });
    expect(by['old.example.com']).toMatchObject({ state: 'expired', daysLeft: -10 });
    expect(by['old.example.com']!.problems).toEqual(['expired 10 days ago', 'not for a domain of a current app (left from a removed app or domain)']);
    // soonest to expire first
    expect(r.certificates.map((c) => c.domains[0])).toEqual(['old.example.com', 'shop.example.com', '*.apps.example.com']);
    expect(r.missing).toEqual([
      { host: 'new.example.com', appId: 'a3', appName: 'new', issuer: 'acme', lastError: null, reason: expect.stringMatching(/^not deployed yet/) },
      { host: 'broken.example.com', appId: 'a4', appName: 'broken', issuer: 'acme', lastError: 'NXDOMAIN', reason: 'the proxy could not get a certificate' },
      { host: 'nas.lan', appId: 'a5', appName: 'nas', issuer: 'internal', lastError: null, reason: expect.stringMatching(/^no certificate yet/) },
    ]);
    const t = certificateReport({ serverId: 's1', driver: 'traefik', now, certificates: [], domains: served.filter((d) => d.host === 'nas.lan'), errors: [] });
    expect(t.missing[0]!.reason).toMatch(/Traefik has no internal CA/);
  });

  it('an error older than the certificate is not reported on it', () => {
    const r = certificateReport({ serverId: 's', driver: 'caddy', now, certificates: [cert(['shop.example.com'], now - DAY, now + 89 * DAY)], domains: served.slice(0, 1), errors: [{ domains: ['shop.example.com'], message: 'old failure', at: now - 2 * DAY }] });
    expect(r.certificates[0]!.problems).toEqual([]);
  });
});
