import { createHmac } from 'node:crypto';
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Testbed, type TestServer } from '../testbed/index.ts';
import { screenshot, watchErrors } from '../helpers/browser.ts';
import { addServer } from '../helpers/servers.ts';
import { startWebProcess, type WebProcess } from '../helpers/web-process.ts';
import { getByHost, GitRepo, loadShipImages, postByHost, SAMPLE_DOCKERFILE, setupProxy } from '../integration/deploy-fixture.ts';

const DOCS = join(import.meta.dirname, '../../docs/screenshots');
const HOOK_HOST = 'hooks.e2e.test';

describe('push-to-deploy in Chromium: turn it on, copy URL and secret, see deliveries and the deploy they start', () => {
  let bed: Testbed;
  let s: TestServer;
  let web: WebProcess;
  let browser: Browser;
  let repo: GitRepo;

  beforeAll(async () => {
    bed = await Testbed.create({ prefix: 'e2ehook' });
    s = await bed.addServer({ name: 'e2e-hook' });
    const images = await loadShipImages(s);
    images['node:22-alpine'] = await s.loadImage('debian', { packages: ['nodejs'], tag: 'openpanel-test/webhook:latest' });
    repo = new GitRepo();
    repo.commit({ 'Dockerfile': SAMPLE_DOCKERFILE, 'index.html': 'pushed v1\n' }, 'first');
    await repo.serve(bed);
    web = await startWebProcess();
    const { client, close } = await web.client();
    const server = await addServer(client, s, { name: 'e2e-hook' });
    await setupProxy(client, server.id, images);
    await client.apps.create({ name: 'pushed', serverId: server.id, source: { kind: 'git', url: repo.url, branch: 'main' }, port: 8080, domains: [{ host: 'pushed.test', tls: false }] });
    close();
    browser = await chromium.launch({
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  });
  afterAll(async () => {
    await browser?.close();
    await web?.stop();
    repo?.close();
    await bed?.teardown();
  });

  it('turns the webhook on, shows the secret once, lists a refused and a started delivery, and the deploy in the history', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
    const errors = watchErrors(page);
    await page.goto(web.url);
    await page.waitForSelector('nav[aria-label="Main"]');
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
    const shot = await screenshot(page, 'webhook');
    mkdirSync(DOCS, { recursive: true });
    copyFileSync(shot, join(DOCS, 'webhook.png'));
    expect(errors).toEqual([]);
  });
});
