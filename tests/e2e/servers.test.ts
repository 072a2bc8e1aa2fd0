import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Testbed, type TestServer } from '../testbed/index.ts';
import { launchBrowser, openApp, screenshot } from '../helpers/browser.ts';
import { startWebProcess, type WebProcess } from '../helpers/web-process.ts';

describe('servers in Chromium (web mode, real test servers)', () => {
  let bed: Testbed;
  let web: WebProcess;
  let browser: Browser;
  let a: TestServer;
  let bastion: TestServer;
  let inner: TestServer;

  beforeAll(async () => {
    bed = await Testbed.create();
    [a, bastion] = (await bed.addServers([{ name: 'e2e-a' }, { name: 'e2e-bastion' }])) as [TestServer, TestServer];
    inner = await bed.addServer({ name: 'e2e-inner', behind: bastion });
    web = await startWebProcess();
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await web?.stop();
    await bed?.teardown();
  });

  const open = () => openApp(browser, web.url);

  it('adds a server by form, shows its host key to trust, then its facts and live status', async () => {
    const { page, errors } = await open();
    await page.click('[data-nav="servers"]');
    await page.click('text=Add server');
    // A bad port is refused next to the field.
    await page.fill('#srv-name', 'web-1');
    await page.fill('#srv-host', a.host);
    await page.fill('#srv-port', '70000');
    await page.fill('#srv-key', a.users.root.privateKey);
    await page.click('text=Add and connect');
    await page.waitForSelector('.field-error');
    expect(await page.innerText('.field-error')).toMatch(/port/i);
    await page.fill('#srv-port', '22');
    await page.click('text=Add and connect');
    // First use: the fingerprint is shown and must be trusted explicitly.
    await page.waitForSelector('[role="dialog"][aria-label="Unknown host key"]', { timeout: 30_000 });
    expect(await page.innerText('[data-testid="prompt-fingerprint"]')).toContain(a.hostKeyFingerprint);
    await page.click('text=Trust and connect');
    await page.waitForSelector('[data-step="docker"][data-status="ok"]', { timeout: 30_000 });
    expect(await page.innerText('[data-step="docker"]')).toMatch(/Docker \d+/);
    await page.click('text=Done');
    const card = page.locator('a.fleet-card[data-server="web-1"]');
    await card.waitFor();
    await page.waitForFunction(() => document.querySelector('a.fleet-card[data-server="web-1"] [data-testid="status"]')?.textContent?.includes('connected'));
    await card.click();
    await page.waitForSelector('[data-testid="facts"]', { timeout: 30_000 });
    expect(await page.innerText('[data-testid="facts"]')).toContain('e2e-a');
    expect(await page.innerText('[data-testid="docker-version"]')).toMatch(/\d+\.\d+.*stream-local/);
    await screenshot(page, 'server-detail');
    expect(errors).toEqual([]);
  });

  it('imports servers from an ssh config, with ProxyJump, and trusts a first-use key from the prompt', async () => {
    const { page, errors } = await open();
    await page.click('[data-nav="servers"]');
    await page.click('text=Import from SSH config');
    const config = [
      `Host bastion`,
      `  HostName ${bastion.host}`,
      `  User root`,
      `  IdentityFile ${bastion.users.root.privateKeyPath}`,
      `Host inner`,
      `  HostName ${inner.host}`,
      `  User root`,
      `  IdentityFile ${inner.users.root.privateKeyPath}`,
      `  ProxyJump bastion`,
      `Host *`,
      `  ServerAliveInterval 30`,
    ].join('\n');
    await page.fill('textarea[aria-label="SSH config text"]', config);
    await page.click('text=Preview');
    await page.waitForSelector('[data-testid="import-candidates"]');
    expect(await page.locator('[data-testid="import-candidates"] tbody tr').count()).toBe(2);
    await page.click('text=Import 2 servers');
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="import-candidates"] td').length > 0 && [...document.querySelectorAll('[data-testid="import-candidates"] tbody tr td:last-child')].every((td) => td.textContent === 'imported'));
    await page.click('text=Close');
    await page.locator('a.fleet-card[data-server="inner"]').click();
    // Opening it connects in the background: both host keys (bastion, then inner) are asked about.
    for (const s of [bastion, inner]) {
      await page.waitForSelector('[role="dialog"][aria-label="Unknown host key"]', { timeout: 30_000 });
      expect(await page.innerText('[data-testid="prompt-fingerprint"]')).toContain(s.hostKeyFingerprint);
      await page.click('text=Trust and connect');
    }
    await page.waitForSelector('[data-testid="facts"]', { timeout: 30_000 });
    expect(await page.innerText('[data-testid="facts"]')).toContain('e2e-inner');
    await screenshot(page, 'server-imported');
    expect(errors).toEqual([]);
  });
});
