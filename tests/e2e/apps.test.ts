import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { docScreenshot, openApp, screenshot, watchErrors } from '../helpers/browser.ts';
import type { WebProcess } from '../helpers/web-process.ts';
import { type GitRepo, loadShipImages, SAMPLE_DOCKERFILE } from '../integration/deploy-fixture.ts';
import { startShipE2E, type ShipE2E } from './ship-fixture.ts';
import { addDomains } from './app-form.ts';

const DOMAIN = 'e2eapp.test';

describe('apps in Chromium: create, deploy with progress and live log, open the URL, edit', () => {
  let t: ShipE2E;
  let web: WebProcess;
  let browser: Browser;
  let repo: GitRepo;

  beforeAll(async () => {
    t = await startShipE2E({
      prefix: 'e2eapps',
      server: 'e2e-ship',
      images: loadShipImages,
      files: { 'Dockerfile': SAMPLE_DOCKERFILE.replace('COPY', 'RUN sleep 2\nCOPY'), 'index.html': '<h1>Hello from OpenPanel Ship</h1>\n' },
      domains: [DOMAIN],
    });
    ({ web, browser, repo } = t);
  });
  afterAll(async () => {
    await t?.close();
  });

  it('creates an app, deploys it while showing progress and the build log, and opens it', async () => {
    const { page, errors } = await openApp(browser, web.url, { width: 1280, height: 900 });
    await page.click('[data-nav="apps"]');
    await page.waitForSelector('[data-testid="proxy-state"]:has-text("caddy running"), [data-testid="proxy-state"]:has-text("traefik running")');
    await page.click('[data-testid="new-app"]');
    await page.fill('[data-testid="app-name"]', 'Bad Name');
    await page.fill('[data-testid="app-git-url"]', repo.url);
    await page.fill('[data-testid="app-port"]', '8080');
    await addDomains(page, [{ host: DOMAIN, tls: false }]);
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
    await docScreenshot(page, 'deploy');

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
    await docScreenshot(page, 'app-edit');
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
