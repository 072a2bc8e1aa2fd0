import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Testbed, type TestServer } from '../testbed/index.ts';
import { screenshot, watchErrors } from '../helpers/browser.ts';
import { addServer } from '../helpers/servers.ts';
import { startWebProcess, type WebProcess } from '../helpers/web-process.ts';
import { GitRepo, loadShipImages, SAMPLE_DOCKERFILE, setupProxy } from '../integration/deploy-fixture.ts';

const DOCS = join(import.meta.dirname, '../../docs/screenshots');
const DOMAIN = 'e2eapp.test';

describe('apps in Chromium: create, deploy with progress and live log, open the URL, edit', () => {
  let bed: Testbed;
  let s: TestServer;
  let web: WebProcess;
  let browser: Browser;
  let repo: GitRepo;

  beforeAll(async () => {
    bed = await Testbed.create({ prefix: 'e2eapps' });
    s = await bed.addServer({ name: 'e2e-ship' });
    const images = await loadShipImages(s);
    repo = new GitRepo();
    repo.commit({ 'Dockerfile': SAMPLE_DOCKERFILE.replace('COPY', 'RUN sleep 2\nCOPY'), 'index.html': '<h1>Hello from OpenPanel Ship</h1>\n' }, 'first');
    await repo.serve(bed);
    web = await startWebProcess();
    const { client, close } = await web.client();
    const server = await addServer(client, s, { name: 'e2e-ship' });
    await setupProxy(client, server.id, images);
    close();
    // Debian's Chromium with the app's domain resolved to the test server (no DNS in this closed network).
    browser = await chromium.launch({
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', `--host-resolver-rules=MAP ${DOMAIN} ${s.host}`],
    });
  });
  afterAll(async () => {
    await browser?.close();
    await web?.stop();
    repo?.close();
    await bed?.teardown();
  });

  it('creates an app, deploys it while showing progress and the build log, and opens it', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const errors = watchErrors(page);
    await page.goto(web.url);
    await page.waitForSelector('nav[aria-label="Main"]');
    await page.click('[data-nav="apps"]');
    await page.waitForSelector('[data-testid="proxy-state"]:has-text("caddy running"), [data-testid="proxy-state"]:has-text("traefik running")');
    await page.click('[data-testid="new-app"]');
    await page.fill('[data-testid="app-name"]', 'Bad Name');
    await page.fill('[data-testid="app-git-url"]', repo.url);
    await page.fill('[data-testid="app-port"]', '8080');
    await page.fill('[data-testid="app-domains"]', `http://${DOMAIN}`);
    await page.click('[data-testid="app-create"]');
    await page.waitForSelector('text=expected lowercase letters, digits and -');
    await page.fill('[data-testid="app-name"]', 'hello');
    await page.click('[data-testid="app-create"]');
    await page.waitForSelector('[data-testid="deploy-button"]');

    await page.click('[data-testid="deploy-button"]');
    // the progress bar moves and the log streams while the build runs
    await page.waitForFunction(() => document.querySelector('[data-testid="deploy-log"]')?.textContent?.includes('==> Building'), null, { timeout: 60_000 });
    const midProgress = Number(await page.getAttribute('[data-testid="deploy-progress"]', 'aria-valuenow'));
    expect(midProgress).toBeGreaterThan(0);
    expect(midProgress).toBeLessThan(100);
    await page.waitForSelector('[data-testid="deploy-status"]:has-text("succeeded")', { timeout: 90_000 });
    expect(await page.getAttribute('[data-testid="deploy-progress"]', 'aria-valuenow')).toBe('100');
    const log = await page.innerText('[data-testid="deploy-log"]');
    expect(log).toContain('RUN sleep 2');
    expect(log).toContain('==> Deployed');
    const shot = await screenshot(page, 'deploy');
    mkdirSync(DOCS, { recursive: true });
    copyFileSync(shot, join(DOCS, 'deploy.png'));

    const [site] = await Promise.all([page.context().waitForEvent('page'), page.click(`[data-testid="app-url"]:has-text("${DOMAIN}")`)]);
    await site.waitForLoadState();
    expect(site.url()).toBe(`http://${DOMAIN}/`);
    expect(await site.innerText('h1')).toBe('Hello from OpenPanel Ship');
    await screenshot(site, 'deploy-site');
    expect(errors).toEqual([]);
  });

  it('edits a setting through the form: a bad value is named under its field, a good one is kept for the next deploy', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const errors = watchErrors(page);
    await page.goto(web.url);
    await page.click('[data-nav="apps"]');
    await page.click('[data-testid="app-edit"]');
    await page.waitForSelector('[data-testid="app-edit-note"]:has-text("take effect at the next deploy")');
    expect(await page.inputValue('[data-testid="app-port"]')).toBe('8080');
    await page.fill('[data-testid="app-memory"]', '2');
    await page.click('[data-testid="app-save"]');
    await page.waitForSelector('[data-testid="error-limits.memoryMb"]:has-text("expected at least 6 MB")');
    copyFileSync(await screenshot(page, 'app-edit'), join(DOCS, 'app-edit.png'));
    await page.fill('[data-testid="app-memory"]', '64');
    await page.click('[data-testid="app-save"]');
    await page.waitForSelector('[data-testid="app-summary"]:has-text("limits 64 MB")');
    expect(await page.$('[data-testid="app-edit-form"]')).toBeNull();
    const { client, close } = await web.client();
    const [saved] = await client.apps.list({});
    close();
    expect(saved).toMatchObject({ name: 'hello', port: 8080, limits: { memoryMb: 64, cpus: null }, urls: [`http://${DOMAIN}`] });
    expect(errors).toEqual([]);
  });
});
