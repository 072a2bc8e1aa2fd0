import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestServer } from '../testbed/index.ts';
import { docScreenshot, openApp } from '../helpers/browser.ts';
import type { WebProcess } from '../helpers/web-process.ts';
import { API_CGI, COMPOSE, loadComposeImages, WEB_DOCKERFILE } from '../integration/compose-fixture.ts';
import { getByHost, type GitRepo } from '../integration/deploy-fixture.ts';
import { startShipE2E, type ShipE2E } from './ship-fixture.ts';
import { addDomains, addEnv } from './app-form.ts';

const DOMAIN = 'e2estack.test';

describe('Compose apps in Chromium: choose "Compose file" in the app form, deploy the stack, reach it', () => {
  let t: ShipE2E;
  let s: TestServer;
  let web: WebProcess;
  let browser: Browser;
  let repo: GitRepo;

  beforeAll(async () => {
    t = await startShipE2E({
      prefix: 'e2ecmp',
      server: 'e2e-stack',
      images: loadComposeImages,
      files: { 'docker-compose.yml': COMPOSE, 'web/Dockerfile': WEB_DOCKERFILE, 'web/index.html': '<h1>Hello from a stack</h1>\n', 'web/api.cgi': API_CGI },
    });
    ({ s, web, browser, repo } = t);
  });
  afterAll(async () => {
    await t?.close();
  });

  it('creates a Compose app (field errors named), deploys it with progress and log, and it answers by Host', async () => {
    const { page, errors } = await openApp(browser, web.url, { width: 1280, height: 900 });
    await page.click('[data-nav="apps"]');
    await page.waitForSelector('[data-testid="proxy-state"]:has-text("caddy running"), [data-testid="proxy-state"]:has-text("traefik running")');
    await page.click('[data-testid="new-app"]');
    await page.fill('[data-testid="app-name"]', 'shop');
    await page.fill('[data-testid="app-git-url"]', repo.url);
    expect(await page.isVisible('[data-testid="app-compose-file"]')).toBe(false);
    await page.selectOption('[data-testid="app-build"]', 'compose');
    expect(await page.isVisible('[data-testid="app-dockerfile"]')).toBe(false);
    expect(await page.inputValue('[data-testid="app-compose-file"]')).toBe('docker-compose.yml');
    expect(await page.inputValue('[data-testid="app-compose-service"]')).toBe('web');
    await page.fill('[data-testid="app-compose-file"]', '../docker-compose.yml');
    await page.fill('[data-testid="app-port"]', '8080');
    await addDomains(page, [{ host: DOMAIN, tls: false }]);
    await addEnv(page, 'GREETING', 'from the form');
    await page.click('[data-testid="app-create"]');
    await page.waitForSelector('text=expected a relative path inside the source');
    await page.fill('[data-testid="app-compose-file"]', 'docker-compose.yml');
    await page.click('[data-testid="app-create"]');
    await page.waitForSelector('[data-testid="deploy-button"]');

    const { client, close } = await web.client();
    try {
      const [created] = await client.apps.list({});
      expect(created!.compose).toEqual({ file: 'docker-compose.yml', project: 'op-shop', service: 'web' });
    } finally {
      close();
    }

    expect(await page.innerText('[data-testid="app-compose"]')).toBe('Compose docker-compose.yml (project op-shop, routed service web)');
    expect(await page.isVisible('[data-testid="generate-dockerfile-link"]')).toBe(false);
    await page.click('[data-testid="deploy-button"]');
    await page.waitForFunction(() => document.querySelector('[data-testid="deploy-log"]')?.textContent?.includes('==> Building web'), null, { timeout: 60_000 });
    await page.waitForSelector('[data-testid="deploy-status"]:has-text("succeeded")', { timeout: 120_000 });
    expect(await page.getAttribute('[data-testid="deploy-progress"]', 'aria-valuenow')).toBe('100');
    const log = await page.innerText('[data-testid="deploy-log"]');
    expect(log).toContain('(docker-compose)');
    expect(log).toContain('==> Deployed revision');
    await docScreenshot(page, 'compose');
    expect(await getByHost(s.host, DOMAIN)).toEqual({ status: 200, body: '<h1>Hello from a stack</h1>\n' });
    expect(await getByHost(s.host, DOMAIN, '/cgi-bin/api')).toEqual({ status: 200, body: 'api says from the form\n' });
    expect(errors).toEqual([]);
  });
});
