import { createHmac } from 'node:crypto';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestServer } from '../testbed/index.ts';
import { docScreenshot, openApp } from '../helpers/browser.ts';
import type { WebProcess } from '../helpers/web-process.ts';
import { getByHost, type GitRepo, loadShipImages, postByHost, SAMPLE_DOCKERFILE } from '../integration/deploy-fixture.ts';
import { startShipE2E, type ShipE2E } from './ship-fixture.ts';

const HOOK_HOST = 'hooks.e2e.test';

describe('push-to-deploy in Chromium: turn it on, copy URL and secret, see deliveries and the deploy they start', () => {
  let t: ShipE2E;
  let s: TestServer;
  let web: WebProcess;
  let browser: Browser;
  let repo: GitRepo;

  beforeAll(async () => {
    t = await startShipE2E({
      prefix: 'e2ehook',
      server: 'e2e-hook',
      images: async (server) => ({
        ...(await loadShipImages(server)),
        'node:22-alpine': await server.loadImage('debian', { packages: ['nodejs'], tag: 'openpanel-test/webhook:latest' }),
      }),
      files: { 'Dockerfile': SAMPLE_DOCKERFILE, 'index.html': 'pushed v1\n' },
      prepare: async (client, serverId, repo) => {
        await client.apps.create({ name: 'pushed', serverId, source: { kind: 'git', url: repo.url, branch: 'main' }, port: 8080, domains: [{ host: 'pushed.test', tls: false }] });
      },
    });
    ({ s, web, browser, repo } = t);
  });
  afterAll(async () => {
    await t?.close();
  });

  it('turns the webhook on, shows the secret once, lists a refused and a started delivery, and the deploy in the history', async () => {
    const { page, errors } = await openApp(browser, web.url, { width: 1280, height: 1000 });
    await page.click('[data-nav="apps"]');
    await page.waitForSelector('[data-testid="webhook-panel"]');
    await page.fill('[data-testid="webhook-host"]', 'not a host');
    await page.click('[data-testid="webhook-enable"]');
    await page.waitForSelector('[data-testid="webhook-panel"] .error-text:has-text("expected a domain name")');
    await page.fill('[data-testid="webhook-host"]', HOOK_HOST);
    await page.uncheck('[data-testid="webhook-panel"] input[type="checkbox"]');
    await page.click('[data-testid="webhook-enable"]');
    await page.waitForSelector('[data-testid="webhook-secret"]', { timeout: 60_000 });
    const secret = (await page.innerText('[data-testid="webhook-secret"] code')).trim();
    expect(secret).toMatch(/^[0-9a-f]{64}$/);
    const url = (await page.innerText('[data-testid="webhook-url"]')).trim();
    expect(url).toMatch(new RegExp(`^http://${HOOK_HOST.replace(/\./g, '\\.')}/hooks/[A-Za-z0-9-]+$`));
    const path = new URL(url).pathname;

    const head = repo.git(['rev-parse', 'HEAD']).trim();
    const body = JSON.stringify({ ref: 'refs/heads/main', after: head });
    const sign = (key: string) => `sha256=${createHmac('sha256', key).update(body).digest('hex')}`;
    expect((await postByHost(s.host, HOOK_HOST, path, body, { 'X-GitHub-Event': 'push', 'X-Hub-Signature-256': sign('wrong') })).status).toBe(401);
    const ok = await postByHost(s.host, HOOK_HOST, path, body, { 'X-GitHub-Event': 'push', 'X-GitHub-Delivery': 'e2e-1', 'X-Hub-Signature-256': sign(secret) });
    expect(ok.status, ok.body).toBe(202);

    // The panel re-reads the deliveries every 15 s; the history follows the deploy they started.
    await page.waitForSelector('[data-testid="webhook-deliveries"] td:has-text("started")', { timeout: 40_000 });
    await page.waitForSelector('[data-testid="webhook-deliveries"] td:has-text("X-Hub-Signature-256 does not match")');
    await page.waitForSelector('[data-testid="deploy-history"] td:has-text("deploy (push)")', { timeout: 40_000 });
    await page.waitForSelector('[data-testid="deploy-history"] tr:has-text("deploy (push)") td:has-text("succeeded")', { timeout: 120_000 });
    expect(await getByHost(s.host, 'pushed.test')).toEqual({ status: 200, body: 'pushed v1\n' });
    await page.locator('[data-testid="webhook-panel"]').scrollIntoViewIfNeeded();
    await docScreenshot(page, 'webhook');
    expect(errors).toEqual([]);
  });
});
