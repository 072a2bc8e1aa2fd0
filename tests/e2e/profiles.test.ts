import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Testbed, type TestServer } from '../testbed/index.ts';
import { launchBrowser, openApp, screenshot } from '../helpers/browser.ts';
import { startWebProcess, type WebProcess } from '../helpers/web-process.ts';

describe('profile import in Chromium (web mode, real test server)', () => {
  let bed: Testbed;
  let web: WebProcess;
  let browser: Browser;
  let a: TestServer;

  beforeAll(async () => {
    bed = await Testbed.create({ prefix: 'e2eprof' });
    a = await bed.addServer({ name: 'pfa' });
    web = await startWebProcess();
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await web?.stop();
    await bed?.teardown();
  });

  it('a profile without a passphrase: its host keys are shown with fingerprints and only the confirmed one is pinned', async () => {
    const ed25519 = a.hostKeyFingerprints.ed25519;
    const ecdsa = a.hostKeyFingerprints.ecdsa;
    const profile = {
      format: 'openpanel-profile',
      version: 2,
      exportedAt: new Date().toISOString(),
      servers: [
        {
          ref: 'r-pfa',
          name: 'from-profile',
          host: a.host,
          port: a.port,
          username: a.users.root.username,
          auth: { method: 'key', keyPath: a.users.root.privateKeyPath },
          jumpRef: null,
          settings: {},
          hostKeys: [
            { keyType: 'ssh-ed25519', fingerprint: ed25519 },
            { keyType: 'ecdsa-sha2-nistp256', fingerprint: ecdsa },
          ],
        },
      ],
      secrets: null,
      mac: null,
    };
    const { page, errors } = await openApp(browser, web.url);
    await page.click('[data-nav="settings"]');
    await page.setInputFiles('input[aria-label="Profile file"]', { name: 'servers.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(profile)) });
    await page.locator('button:has-text("Preview import"):enabled').click();
    await page.waitForSelector('[data-testid="profile-plan"]');
    expect(await page.getAttribute('[data-testid="profile-trust"]', 'data-authenticated')).toBe('false');
    expect(await page.locator('[data-testid="pins-to-confirm"][data-ref="r-pfa"] [data-testid="pin-fingerprint"]').allInnerTexts()).toEqual([ed25519, ecdsa]);
    await page.check('input[aria-label="Trust the ssh-ed25519 key of from-profile"]');
    expect(await page.isChecked('input[aria-label="Trust the ecdsa-sha2-nistp256 key of from-profile"]')).toBe(false);
    await screenshot(page, 'profile-import-confirm-pins');
    await page.click('button.primary:has-text("Import")');
    const toast = page.locator('.toast', { hasText: 'Imported' });
    await toast.waitFor({ timeout: 30_000 });
    expect(await toast.innerText()).toMatch(/created 1.*1 host key not trusted/s);

    const { client, close } = await web.client();
    try {
      const [server] = await client.servers.list();
      expect(server?.hostKeys.map((k) => [k.keyType, k.fingerprint, k.source])).toEqual([['ssh-ed25519', ed25519, 'profile']]);
    } finally {
      close();
    }
    // The confirmed key is trusted: the server connects with no first-use prompt.
    await page.click('[data-nav="servers"]');
    await page.locator('a.fleet-card[data-server="from-profile"]').click();
    await page.waitForSelector('[data-testid="facts"]', { timeout: 30_000 });
    expect(await page.innerText('[data-testid="facts"]')).toContain('pfa');
    expect(await page.locator('[role="dialog"][aria-label="Unknown host key"]').count()).toBe(0);
    expect(errors).toEqual([]);
  });
});
