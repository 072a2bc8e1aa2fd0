// Issue 12 item 9 in Chromium against a real test server (Caddy from Debian, pebble as its ACME server): the proxy
// panel's options (HTTPS redirect, ACME email, data folder) saved and applied; an app's domains added as rows, each
// with the certificate state the proxy reports (one issued by pebble, one failed with pebble's error); a deploy log
// without Caddy's "not formatted" warning; one env value replaced while the other stays, checked in the container.
import type { Page } from 'playwright-core';
import type { App } from '../../src/shared/contract/apps.ts';
import type { TestServer } from '../testbed/index.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openAppForScan, seriousViolations } from '../helpers/a11y.ts';
import { waitFor } from '../helpers/app.ts';
import { docScreenshot } from '../helpers/browser.ts';
import { PEBBLE_DIR, pebbleListenerCertificates, startPebble } from '../helpers/pebble.ts';
import { loadShipImages, SAMPLE_DOCKERFILE } from '../integration/deploy-fixture.ts';
import { addDomains, addEnv } from './app-form.ts';
import { startShipE2E, type ShipE2E } from './ship-fixture.ts';

const OK = 'ok.example.com';
const BAD = 'bad.example.com';

describe('domains with certificate states, proxy options and env values in Chromium (real sshd + dockerd, Caddy, pebble)', () => {
  let t: ShipE2E;
  let page: Page;
  let errors: string[];
  const sh = async (script: string) => (await t.s.exec(['sh', '-c', script], { check: true, timeoutMs: 30_000 })).stdout;
  /** One call through the app's API (what the page itself would read). */
  async function call<T>(fn: (client: Awaited<ReturnType<ShipE2E['web']['client']>>['client']) => Promise<T>): Promise<T> {
    const { client, close } = await t.web.client();
    try {
      return await fn(client);
    } finally {
      close();
    }
  }

  beforeAll(async () => {
    const listener = pebbleListenerCertificates();
    let pebble = '';
    let server: TestServer | null = null;
    t = await startShipE2E({
      prefix: 'e2edom',
      server: 'e2e-dom',
      images: async (s) => {
        server = s;
        pebble = await s.loadImage('debian', { packages: ['pebble'], tag: 'openpanel-test/pebble:latest' });
        return loadShipImages(s);
      },
      files: { Dockerfile: SAMPLE_DOCKERFILE, 'index.html': 'domains\n' },
      prepare: async (client, serverId) => {
        // ok.example.com resolves to the server for pebble; bad.example.com to pebble itself, where nothing serves port 80
        await startPebble(server!, pebble, listener, { [OK]: server!.host, [BAD]: '127.0.0.1' });
        const acme = (await client.proxy.settings({ serverId })).acme;
        await client.proxy.updateSettings({ serverId, settings: { acme: { ...acme, directoryUrl: PEBBLE_DIR, caRoot: listener.ca } } });
      },
    });
    ({ page, errors } = await openAppForScan(t.browser, t.web.url, { width: 1280, height: 1000 }));
  }, 300_000);
  afterAll(async () => {
    await t?.close();
  });

  it('shows the proxy options that matter, names a bad one under its field, saves and applies them', async () => {
    await page.click('[data-nav="apps"]');
    await page.waitForSelector('[data-testid="proxy-state"]:has-text("caddy running")');
    await page.click('.proxy-panel summary');
    expect(await page.isChecked('[data-testid="proxy-https-redirect"]')).toBe(false);
    expect(await page.inputValue('[data-testid="proxy-acme-email"]')).toBe('');
    expect(await page.inputValue('[data-testid="proxy-data-dir"]')).toBe('/tmp/openpanel');
    expect(await page.inputValue('[data-testid="proxy-driver"]')).toBe('caddy');
    // the raw configuration is folded away
    expect(await page.isVisible('[data-testid="proxy-config"]')).toBe(false);
    await page.selectOption('[data-testid="proxy-driver"]', 'traefik');
    expect(await page.textContent('[data-testid="proxy-traefik-note"]')).toContain('never run against a real Traefik');
    await page.selectOption('[data-testid="proxy-driver"]', 'caddy');

    await page.fill('[data-testid="proxy-data-dir"]', 'tmp/op-data');
    await page.fill('[data-testid="proxy-acme-email"]', 'not-an-email');
    await page.click('[data-testid="proxy-save"]');
    await page.waitForSelector('[data-testid="proxy-error-dataDir"]:has-text("expected an absolute path")');
    await page.waitForSelector('[data-testid="proxy-error-acme.email"]:has-text("expected an email address")');
    expect((await call((c) => c.proxy.settings({ serverId: t.serverId }))).dataDir).toBe('/tmp/openpanel');

    await page.fill('[data-testid="proxy-data-dir"]', '/tmp/op-data');
    await page.fill('[data-testid="proxy-acme-email"]', 'ops@example.com');
    await page.check('[data-testid="proxy-https-redirect"]');
    expect(await seriousViolations(page)).toEqual([]);
    await page.click('[data-testid="proxy-install"]');
    // applied: the new container mounts the new data folder and its Caddyfile has the email and the redirect
    const mounts = await waitFor(async () => {
      const m = (await t.s.exec(['docker', 'inspect', '-f', '{{range .Mounts}}{{.Source}} {{end}}', 'openpanel-proxy'])).stdout;
      return m.includes('/tmp/op-data/proxy/caddy') ? m : null;
    }, 'the proxy reinstalled with the new data folder', 60_000, 500);
    expect(mounts).not.toContain('/tmp/openpanel/');
    await page.waitForSelector('[data-testid="proxy-state"]:has-text("caddy running")');
    expect(await call((c) => c.proxy.settings({ serverId: t.serverId }))).toMatchObject({ httpsRedirect: true, dataDir: '/tmp/op-data', acme: { email: 'ops@example.com', directoryUrl: PEBBLE_DIR } });
    const caddyfile = await sh('docker exec openpanel-proxy cat /etc/openpanel/Caddyfile');
    expect(caddyfile).toContain('\temail ops@example.com\n');
    expect(caddyfile).not.toContain('disable_redirects');
    // formatted exactly as the real Caddy formats it
    expect(await sh('docker exec openpanel-proxy caddy fmt /etc/openpanel/Caddyfile')).toBe(caddyfile);
    // positive control: the same Caddy warns about this file with one blank line more (what the boot script used to write)
    const unformatted = await t.s.exec(['docker', 'exec', 'openpanel-proxy', 'sh', '-c', 'printf "%s\n\n" "$(cat /etc/openpanel/Caddyfile)" > /tmp/unformatted && caddy adapt --config /tmp/unformatted --adapter caddyfile'], { check: true });
    expect(unformatted.stderr).toContain('Caddyfile input is not formatted');
    const formatted = await t.s.exec(['docker', 'exec', 'openpanel-proxy', 'caddy', 'adapt', '--config', '/etc/openpanel/Caddyfile', '--adapter', 'caddyfile'], { check: true });
    expect(formatted.stderr).not.toContain('not formatted');
    await page.waitForSelector('[data-testid="proxy-acme-email"]');
    expect(await page.inputValue('[data-testid="proxy-acme-email"]')).toBe('ops@example.com');
    await docScreenshot(page, 'proxy-options');
  });

  let app: App;
  it('adds domains as rows (a bad host named under its row), deploys without a "not formatted" warning, and shows each certificate state', async () => {
    await page.click('[data-testid="new-app"]');
    await page.fill('[data-testid="app-name"]', 'shop');
    await page.fill('[data-testid="app-git-url"]', t.repo.url);
    await page.fill('[data-testid="app-port"]', '8080');
    await addDomains(page, [{ host: 'not a host' }, { host: BAD }]);
    await addEnv(page, 'ALPHA', 'alpha-1');
    await addEnv(page, 'BRAVO', 'bravo-1');
    await page.click('[data-testid="app-create"]');
    await page.waitForSelector('[data-testid="error-domains[0]"]:has-text("expected a domain name")');
    expect(await page.isVisible('[data-testid="error-domains[1]"]')).toBe(false);
    await page.fill('[data-testid="domain-host-0"]', OK);
    await page.click('[data-testid="app-create"]');
    await page.waitForSelector('[data-testid="deploy-button"]');
    app = await waitFor(async () => (await call((c) => c.apps.list({ serverId: t.serverId }))).find((a) => a.name === 'shop'), 'the app to be created');
    expect(app).toMatchObject({ domains: [{ host: OK, tls: true, issuer: 'acme' }, { host: BAD, tls: true, issuer: 'acme' }], envNames: ['ALPHA', 'BRAVO'] });

    await page.click('[data-testid="deploy-button"]');
    await page.waitForSelector('[data-testid="deploy-status"]:has-text("succeeded")', { timeout: 120_000 });
    const log = await page.innerText('[data-testid="deploy-log"]');
    // the reload's own output reaches the log (so a warning would be seen), and Caddy found nothing to warn about
    expect(log).toContain('using provided configuration');
    expect(log).not.toContain('not formatted');
    const site = await sh('docker exec openpanel-proxy cat /etc/openpanel/sites/shop.caddy');
    expect(site).toContain(`${OK}, ${BAD} {`);
    expect(await sh('docker exec openpanel-proxy caddy fmt /etc/openpanel/sites/shop.caddy')).toBe(site);

    // the edit form: one row per domain with the state the proxy reports (read again while one is pending)
    await page.click('[data-testid="app-edit"]');
    await page.waitForSelector('[data-testid="domain-state-0"]:has-text("issued")', { timeout: 90_000 });
    await page.waitForSelector('[data-testid="domain-state-1"]:has-text("failed")', { timeout: 90_000 });
    const report = await call((c) => c.proxy.certificates({ serverId: t.serverId }));
    expect(report.certificates.find((c) => c.domains.includes(OK))).toMatchObject({ issuedBy: 'acme', state: 'valid' });
    const failed = report.missing.find((m) => m.host === BAD);
    expect(failed?.lastError).toBeTruthy();
    expect(await page.textContent('[data-testid="domain-state-detail-1"]')).toBe(failed!.lastError);
    expect(await page.getAttribute('[data-testid="domain-state-0"]', 'title')).toMatch(/^ACME: Pebble Intermediate CA/);
    expect(await seriousViolations(page)).toEqual([]);
    await page.locator('[data-testid="app-domains"]').scrollIntoViewIfNeeded();
    await docScreenshot(page, 'app-domains-env');
  });

  it('replaces one env value (never shown); the next deploy runs with it and the other value unchanged', async () => {
    await page.waitForSelector('[data-testid="env-row-ALPHA"]');
    expect(await page.textContent('[data-testid="env-state-BRAVO"]')).toBe('set');
    expect(await page.content()).not.toMatch(/alpha-1|bravo-1/);
    await page.click('[data-testid="env-replace-ALPHA"]');
    await page.fill('[data-testid="env-value-ALPHA"]', 'alpha-2');
    expect(await page.textContent('[data-testid="env-state-ALPHA"]')).toBe('new value at save');
    await page.click('[data-testid="app-save"]');
    await page.waitForSelector('[data-testid="app-edit-form"]', { state: 'detached' });
    expect((await call((c) => c.apps.get({ id: app.id }))).envNames).toEqual(['ALPHA', 'BRAVO']);

    const before = (await call((c) => c.apps.get({ id: app.id }))).lastDeploy!.id;
    await page.click('[data-testid="deploy-button"]');
    const deployed = await waitFor(async () => {
      const last = (await call((c) => c.apps.get({ id: app.id }))).lastDeploy;
      return last && last.id !== before && last.status === 'succeeded' ? last : null;
    }, 'the second deploy to succeed', 120_000, 1000);
    const env = JSON.parse((await t.s.exec(['docker', 'inspect', '-f', '{{json .Config.Env}}', deployed.container!], { check: true })).stdout) as string[];
    expect(env).toContain('ALPHA=alpha-2');
    expect(env).toContain('BRAVO=bravo-1');
    expect(env).not.toContain('ALPHA=alpha-1');
    expect(errors).toEqual([]);
  });
});
