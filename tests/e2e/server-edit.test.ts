import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Testbed, type TestServer } from '../testbed/index.ts';
import { docScreenshot, launchBrowser, openApp } from '../helpers/browser.ts';
import { startWebProcess, type WebProcess } from '../helpers/web-process.ts';

// Editing a server in place: a wrong password or an encrypted key added without its passphrase is fixed without
// Remove, re-add and re-trust; the host-key pin stays while the address does.
describe('edit a server in place (Chromium, web mode, real sshd)', () => {
  let bed: Testbed;
  let s: TestServer;
  let web: WebProcess;
  let browser: Browser;
  let pwId: string;
  let encId: string;

  beforeAll(async () => {
    bed = await Testbed.create({ prefix: 'eedit' });
    s = await bed.addServer({ name: 'edit' });
    web = await startWebProcess();
    const { client, close } = await web.client();
    const pw = await client.servers.create({ name: 'typo', host: s.host, port: s.port, username: s.users.pw.username, auth: { method: 'password', password: 'not-the-password' } });
    pwId = (await client.servers.trustHostKey({ id: pw.id, keyType: 'ssh-ed25519', fingerprint: s.hostKeyFingerprint, replace: false })).id;
    // An imported encrypted key without its passphrase: accepted (asked for at connect time), but cannot log in.
    encId = (await client.servers.create({ name: 'enc-nopass', host: s.host, port: s.port, username: s.users.enc.username, auth: { method: 'key', privateKey: s.users.enc.privateKey } })).id;
    expect((await client.servers.test({ id: pwId })).ok).toBe(false);
    close();
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await web?.stop();
    await bed?.teardown();
  });

  async function openEdit(page: Page, id: string) {
    await page.goto(`${web.url.replace(/#.*/, '')}#/servers/${id}`);
    await page.click('[data-testid="server-edit"]');
    await page.waitForSelector('[role="dialog"][aria-label="Edit server"]');
  }

  it('fixes a wrong password and renames, keeping the pin; the connection test runs again', async () => {
    const { page, errors } = await openApp(browser, web.url);
    await openEdit(page, pwId);
    expect(await page.inputValue('#srv-host')).toBe(s.host);
    expect(await page.getAttribute('#srv-pw', 'placeholder')).toMatch(/keep the stored password/);
    await page.fill('#srv-name', 'pw-fixed');
    await page.fill('#srv-pw', s.users.pw.password);
    await docScreenshot(page, 'server-edit');
    await page.click('button:has-text("Save and test")');
    await page.waitForSelector('[data-step="docker"][data-status="ok"]', { timeout: 30_000 });
    expect(await page.locator('[data-step="hostKey"]').getAttribute('data-status')).toBe('ok');
    // No host-key prompt: the pin of the unchanged address was kept.
    expect(await page.locator('[data-testid="prompt-fingerprint"]').count()).toBe(0);
    const { client, close } = await web.client();
    const saved = await client.servers.get({ id: pwId });
    close();
    expect(saved).toMatchObject({ name: 'pw-fixed', authMethod: 'password', hostKeys: [{ fingerprint: s.hostKeyFingerprint }] });
    expect(errors).toEqual([]);
  });

  it('adds the missing passphrase of a stored key: a wrong one is refused under its field, the right one connects', async () => {
    const { page, errors } = await openApp(browser, web.url);
    await openEdit(page, encId);
    await page.fill('#srv-pp', 'wrong passphrase');
    await page.click('button:has-text("Save and test")');
    await page.waitForSelector('[role="dialog"][aria-label="Edit server"] .field-error:has-text("wrong passphrase")');
    await page.fill('#srv-pp', s.users.enc.passphrase);
    await page.click('button:has-text("Save and test")');
    // First use of this user's connection: the host key is already pinned for the address, so no prompt.
    await page.waitForSelector('[data-step="docker"][data-status="ok"]', { timeout: 30_000 });
    expect(errors).toEqual([]);
  });

  it('warns that a new address means a new host key; Esc closes the dialog without saving', async () => {
    const { page } = await openApp(browser, web.url);
    await openEdit(page, pwId);
    await page.fill('#srv-host', '10.231.250.250');
    await page.waitForSelector('[data-testid="endpoint-changed"]');
    await page.keyboard.press('Escape');
    await page.waitForSelector('[role="dialog"][aria-label="Edit server"]', { state: 'detached' });
    const { client, close } = await web.client();
    expect((await client.servers.get({ id: pwId })).host).toBe(s.host);
    close();
  });

  it('removes a server only after a real confirmation dialog (Esc cancels)', async () => {
    const { page, errors } = await openApp(browser, web.url);
    await page.goto(`${web.url.replace(/#.*/, '')}#/servers/${encId}`);
    await page.click('[data-testid="server-detail"] button:has-text("Remove")');
    const dialog = page.locator('[role="alertdialog"]');
    await dialog.waitFor();
    expect(await dialog.innerText()).toContain('Remove enc-nopass?');
    // Focus starts on Cancel, so Enter by reflex does not destroy anything.
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Cancel');
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    await page.click('[data-testid="server-detail"] button:has-text("Remove")');
    await dialog.locator('button:has-text("Remove server")').click();
    await page.waitForFunction(() => window.location.hash === '#/servers');
    const { client, close } = await web.client();
    expect((await client.servers.list()).map((x) => x.name)).toEqual(['pw-fixed']);
    close();
    expect(errors).toEqual([]);
  });
});
