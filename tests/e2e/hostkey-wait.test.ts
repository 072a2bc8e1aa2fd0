import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Testbed, type TestServer } from '../testbed/index.ts';
import { docScreenshot, launchBrowser, openApp, screenshot } from '../helpers/browser.ts';
import { startWebProcess, type WebProcess } from '../helpers/web-process.ts';

/** The app's default handshake timeout; the user here takes longer than that to compare the fingerprint. */
const DEFAULT_READY_TIMEOUT_MS = 20_000;
const USER_TAKES_MS = DEFAULT_READY_TIMEOUT_MS + 3_000;

// The two cases wait side by side, each in a web process of its own: a prompt goes to every page of a process.
describe('host-key prompt waits for the user (Chromium, web mode, real sshd)', () => {
  let bed: Testbed;
  let s: TestServer;
  let web: WebProcess;
  let web2: WebProcess;
  let browser: Browser;

  beforeAll(async () => {
    bed = await Testbed.create({ prefix: 'e2ehkw' });
    [s, web, web2, browser] = await Promise.all([bed.addServer({ name: 'hkw' }), startWebProcess(), startWebProcess(), launchBrowser()]);
  });
  afterAll(async () => {
    await browser?.close();
    await Promise.all([web?.stop(), web2?.stop()]);
    await bed?.teardown();
  });

  it.concurrent('adds a server, waits longer than the connect timeout before Trust, and the connection test passes', async () => {
    const { page, errors } = await openApp(browser, web.url);
    await page.click('[data-nav="servers"]');
    await page.click('text=Add server');
    await page.fill('#srv-name', 'slow-reader');
    await page.fill('#srv-host', s.host);
    await page.fill('#srv-port', '22');
    await page.fill('#srv-key', s.users.root.privateKey);
    await page.click('text=Add and connect');
    const prompt = page.locator('[role="dialog"][aria-label="Unknown host key"]');
    await prompt.waitFor({ timeout: 30_000 });
    const shownAt = Date.now();
    expect(await page.innerText('[data-testid="prompt-fingerprint"]')).toContain(s.hostKeyFingerprint);
    expect(await page.innerText('[data-testid="prompt-wait"]')).toMatch(/waits for your answer, up to 10 more minutes/);
    await docScreenshot(page, 'hostkey-prompt');
    await page.waitForTimeout(USER_TAKES_MS);
    // Still open and still waiting: no failed step was reported behind the prompt meanwhile.
    expect(await prompt.count()).toBe(1);
    expect(await page.locator('[data-testid="test-steps"]').count()).toBe(0);
    await page.click('text=Trust and connect');
    expect(Date.now() - shownAt).toBeGreaterThan(DEFAULT_READY_TIMEOUT_MS);
    await page.waitForSelector('[data-step="docker"][data-status="ok"]', { timeout: 30_000 });
    for (const step of ['tcp', 'hostKey', 'auth']) expect(await page.locator(`[data-step="${step}"]`).getAttribute('data-status')).toBe('ok');
    await screenshot(page, 'hostkey-wait-trusted');
    expect(errors).toEqual([]);
  });

  it.concurrent('a wrong password, trusted after a long look, fails as authentication, not as an unreachable host', async () => {
    const other = await bed.addServer({ name: 'hkw2' });
    const { page, errors } = await openApp(browser, web2.url);
    await page.click('[data-nav="servers"]');
    await page.click('text=Add server');
    await page.fill('#srv-name', 'wrong-pw');
    await page.fill('#srv-host', other.host);
    await page.fill('#srv-user', other.users.pw.username);
    await page.selectOption('#srv-method', 'password');
    await page.fill('#srv-pw', 'not-the-password');
    await page.click('text=Add and connect');
    await page.waitForSelector('[role="dialog"][aria-label="Unknown host key"]', { timeout: 30_000 });
    expect(await page.innerText('[data-testid="prompt-fingerprint"]')).toContain(other.hostKeyFingerprint);
    await page.waitForTimeout(USER_TAKES_MS);
    await page.click('text=Trust and connect');
    await page.waitForSelector('[data-step="auth"][data-status="error"]', { timeout: 30_000 });
    expect(await page.locator('[data-step="tcp"]').getAttribute('data-status')).toBe('ok');
    expect(await page.locator('[data-step="hostKey"]').getAttribute('data-status')).toBe('ok');
    expect(await page.innerText('[data-step="auth"]')).toMatch(/Authentication failed/);
    expect(await page.innerText('[data-testid="test-steps"]')).not.toMatch(/No SSH handshake|reachable/);
    expect(errors).toEqual([]);
  });
});
