// The proxy's certificate table and upgrade in Chromium, against a real test server (Caddy from Debian, its internal
// CA issuing offline): an app created in the form with an internal-CA domain, deployed, listed with a "valid" badge;
// the proxy upgraded to another image from the panel, the certificate still there.
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUSYBOX_TAG, Testbed, type TestServer } from '../testbed/index.ts';
import { launchBrowser, openApp, publishDocScreenshot, screenshot } from '../helpers/browser.ts';
import { waitFor } from '../helpers/app.ts';
import { addServer } from '../helpers/servers.ts';
import { startWebProcess, type WebProcess } from '../helpers/web-process.ts';
import { followDeploy, GitRepo, SAMPLE_DOCKERFILE } from '../integration/deploy-fixture.ts';
import { addDomains } from './app-form.ts';

describe('proxy certificates and upgrade in Chromium (real sshd + dockerd, Caddy)', () => {
  let bed: Testbed;
  let s: TestServer;
  let web: WebProcess;
  let browser: Browser;
  let repo: GitRepo;
  let serverId: string;
  let caddyImage: string;

  beforeAll(async () => {
    bed = await Testbed.create({ prefix: 'e2etls' });
    s = await bed.addServer({ name: 'e2e-tls' });
    await s.loadImage('busybox');
    const builder = await s.loadImage('debian', { packages: ['git', 'docker.io'], tag: 'openpanel-test/builder:latest' });
    caddyImage = await s.loadImage('debian', { packages: ['caddy'], tag: 'openpanel-test/caddy:latest' });
    await s.exec(['sh', '-c', `printf 'FROM %s\\nLABEL org.openpanel.test=next\\n' "$1" | docker build -q -t openpanel-test/caddy:next -`, 'sh', caddyImage], { check: true, timeoutMs: 60_000 });
    repo = new GitRepo();
    repo.commit({ 'Dockerfile': SAMPLE_DOCKERFILE, 'index.html': 'tls\n' }, 'first');
    await repo.serve(bed);
    web = await startWebProcess();
    const { client, close } = await web.client();
    serverId = (await addServer(client, s, { name: 'e2e-tls' })).id;
    await client.proxy.updateSettings({
      serverId,
      settings: { driver: 'caddy', dataDir: '/tmp/openpanel', httpsRedirect: false, imageOverrides: { prefix: null, images: { 'caddy:2': caddyImage, 'docker:27-cli': builder, 'busybox:latest': BUSYBOX_TAG } } },
    });
    expect((await client.proxy.install({ serverId })).running).toBe(true);
    close();
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await web?.stop();
    repo?.close();
    await bed?.teardown();
  });

  it('creates an app with an internal-CA domain, lists its certificate, and upgrades the proxy keeping it', async () => {
    const { page, errors } = await openApp(browser, web.url);
    await page.click('[data-nav="apps"]');
    await page.waitForSelector('[data-testid="proxy-state"]:has-text("caddy running")');
    await page.click('[data-testid="new-app"]');
    await page.fill('[data-testid="app-name"]', 'lan');
    await page.fill('[data-testid="app-git-url"]', repo.url);
    await page.fill('[data-testid="app-port"]', '8080');
    await addDomains(page, [{ host: 'nas.lan', issuer: 'internal' }, { host: 'nas.test', tls: false }]);
    await page.click('[data-testid="app-create"]');
    const { client, close } = await web.client();
    try {
      const app = await waitFor(async () => (await client.apps.list({ serverId })).find((a) => a.name === 'lan'), 'the app to be created');
      expect(app.domains).toEqual([{ host: 'nas.lan', tls: true, issuer: 'internal' }, { host: 'nas.test', tls: false, issuer: 'acme' }]);
      const { deploy, log } = await followDeploy(client, (await client.apps.deploy({ id: app.id })).id, 120_000);
      expect(deploy.status, log).toBe('succeeded');
      await waitFor(async () => (await client.proxy.certificates({ serverId })).certificates.length === 1, 'the internal certificate', 30_000, 500);
    } finally {
      close();
    }

    // the proxy panel (collapsed while the proxy runs): the certificate with its badge, issuer and app
    await page.reload();
    await page.waitForSelector('nav[aria-label="Main"]');
    await page.click('[data-nav="apps"]');
    await page.click('.proxy-panel summary');
    const row = page.locator('[data-testid="cert-row"]', { hasText: 'nas.lan' });
    await row.waitFor();
    expect(await row.locator('.badge').textContent()).toBe('valid');
    expect(await row.textContent()).toMatch(/Caddy Local Authority.*\(internal CA: local\).*lan/);
    const shot = await screenshot(page, 'proxy-certificates');
    publishDocScreenshot(shot, 'proxy-certificates');

    // upgrade from the panel: a new image, the same certificate afterwards
    const before = (await row.textContent()) ?? '';
    await page.fill('[data-testid="proxy-image"]', 'openpanel-test/caddy:next');
    await page.click('[data-testid="proxy-upgrade"]');
    await page.waitForSelector('text=Proxy upgraded');
    await page.waitForSelector('[data-testid="proxy-state"] + .muted:has-text("openpanel-test/caddy:next")');
    await page.click('[data-testid="proxy-certificates"] button:has-text("Refresh")');
    await page.locator('[data-testid="proxy-certificates"] button:has-text("Refresh")').waitFor();
    expect(await page.locator('[data-testid="cert-row"]', { hasText: 'nas.lan' }).textContent()).toBe(before);
    // logs from the panel
    await page.click('[data-testid="proxy-logs-toggle"]');
    await page.waitForSelector('[data-testid="proxy-logs"]:has-text("serving initial configuration")');
    const label = (await s.exec(['docker', 'inspect', '-f', '{{index .Config.Labels "org.openpanel.test"}}', 'openpanel-proxy'], { check: true })).stdout.trim();
    expect(label).toBe('next');
    expect(errors).toEqual([]);
  });
});
