import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUSYBOX_TAG, Testbed, type TestServer } from '../testbed/index.ts';
import { docScreenshot, launchBrowser, openApp } from '../helpers/browser.ts';
import { addServer } from '../helpers/servers.ts';
import { startWebProcess, type WebProcess } from '../helpers/web-process.ts';

// The command palette finds entities and runs their actions; every dialog and drawer closes on Esc and gives focus
// back; an open drawer leaves the rows' actions usable; a new terminal has the keyboard.
describe('palette and keyboard (Chromium, web mode, real server)', () => {
  let bed: Testbed;
  let s: TestServer;
  let web: WebProcess;
  let browser: Browser;
  let serverId: string;

  const startedAt = async (name: string) => (await s.exec(['docker', 'inspect', '-f', '{{.State.StartedAt}}', name], { check: true })).stdout.trim();
  const focused = (page: Page) => page.evaluate(() => {
    const el = document.activeElement as HTMLElement | null;
    return { tag: el?.tagName ?? '', text: el?.textContent?.trim() ?? '', testid: el?.dataset.testid ?? '', cls: el?.className ?? '', label: el?.getAttribute('aria-label') ?? '' };
  });

  /** Radix gives focus back a task after the dialog is gone: wait (bounded) until it lands, then say where it is. */
  async function focusAfterClose(page: Page, expected: Record<string, string>) {
    await page
      .waitForFunction((want) => {
        const el = document.activeElement as HTMLElement | null;
        const now: Record<string, string> = { text: el?.textContent?.trim() ?? '', testid: el?.dataset.testid ?? '' };
        return Object.entries(want).every(([k, v]) => now[k] === v);
      }, expected, { timeout: 3_000 })
      .catch(() => undefined);
    return focused(page);
  }

  async function palette(page: Page, query: string, command: string) {
    await page.click('[data-testid="palette-open"]');
    const input = page.locator('[data-testid="palette"] [cmdk-input]');
    await input.waitFor();
    expect(await focused(page)).toMatchObject({ tag: 'INPUT' });
    await page.keyboard.type(query);
    // The best match is the selected item: what Enter runs.
    const item = page.locator(`[data-testid="palette"] [cmdk-item][aria-selected="true"][data-command^="${command}"]`);
    await item.waitFor({ timeout: 20_000 });
    return item;
  }

  beforeAll(async () => {
    bed = await Testbed.create({ prefix: 'e2ekbd' });
    s = await bed.addServer({ name: 'kbd', images: ['busybox'] });
    await s.exec(['docker', 'run', '-d', '--name', 'web', '--stop-timeout', '1', BUSYBOX_TAG, 'sh', '-c', 'while :; do echo "tick $(date +%s)"; sleep 1; done'], { check: true });
    await s.exec(['docker', 'run', '-d', '--name', 'worker', '--stop-timeout', '1', BUSYBOX_TAG, 'sleep', '100000'], { check: true });
    web = await startWebProcess();
    const { client, close } = await web.client();
    serverId = (await addServer(client, s, { name: 'kbd-1' })).id;
    close();
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await web?.stop();
    await bed?.teardown();
  });

  it('finds a container by name and restarts it through the confirm dialog (StartedAt changes on the server)', async () => {
    const { page, errors } = await openApp(browser, web.url);
    const before = await startedAt('web');
    const item = await palette(page, 'restart web', 'container-restart-');
    expect(await item.innerText()).toContain('Restart container web on kbd-1');
    await page.keyboard.press('Enter');
    await page.waitForSelector('[data-testid="palette"]', { state: 'detached' });
    const dialog = page.locator('[data-testid="confirm-dialog"][role="alertdialog"]');
    await dialog.waitFor();
    expect(await dialog.innerText()).toContain('Restart container web on kbd-1?');
    // Nothing has run before the answer.
    expect(await startedAt('web')).toBe(before);
    await dialog.locator('button:has-text("Restart")').click();
    const deadline = Date.now() + 30_000;
    let after = before;
    while (after === before && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 500));
      after = await startedAt('web');
    }
    expect(after).not.toBe(before);
    expect(Date.parse(after)).toBeGreaterThan(Date.parse(before));
    expect(errors).toEqual([]);
  });

  it('Esc on a palette confirmation runs nothing and gives focus back to what opened the palette', async () => {
    const { page } = await openApp(browser, web.url);
    const before = await startedAt('worker');
    await palette(page, 'stop worker', 'container-stop-');
    await page.keyboard.press('Enter');
    await page.locator('[data-testid="confirm-dialog"]').waitFor();
    await page.keyboard.press('Escape');
    await page.waitForSelector('[data-testid="confirm-dialog"]', { state: 'detached' });
    expect(await focusAfterClose(page, { testid: 'palette-open' })).toMatchObject({ testid: 'palette-open' });
    expect((await s.exec(['docker', 'inspect', '-f', '{{.State.Running}}', 'worker'], { check: true })).stdout.trim()).toBe('true');
    expect(await startedAt('worker')).toBe(before);
  });

  it('opens the logs of a container found by name', async () => {
    const { page, errors } = await openApp(browser, web.url);
    const id = (await s.exec(['docker', 'inspect', '-f', '{{.Id}}', 'web'], { check: true })).stdout.trim();
    await palette(page, 'logs web', 'container-logs-');
    await page.keyboard.press('Enter');
    await page.waitForFunction((cid) => window.location.hash.includes(`containers=${cid}`), id, { timeout: 10_000 });
    await page.waitForFunction(() => /tick \d+/.test(document.querySelector('main')?.textContent ?? ''), undefined, { timeout: 30_000 });
    expect(errors).toEqual([]);
  });

  it('opens a terminal on a server found by name; the new terminal has the focus, typing goes to the shell', async () => {
    const { page, errors } = await openApp(browser, web.url);
    await palette(page, 'terminal kbd-1', `server-terminal-${serverId}`);
    await page.keyboard.press('Enter');
    await page.waitForSelector('[data-testid="terminal"][data-state="open"] .xterm-rows', { timeout: 20_000 });
    await page.waitForFunction(() => document.activeElement?.classList.contains('xterm-helper-textarea'), undefined, { timeout: 10_000 });
    // No click on the terminal: the keys go where the focus already is.
    await page.keyboard.type('echo "kbd=$((6*7))"');
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => /kbd=42/.test(document.querySelector('[data-testid="terminal"] .xterm-rows')?.textContent ?? ''), undefined, { timeout: 20_000 });
    expect(errors).toEqual([]);
  });

  it('a terminal opened from the Terminals page form has the focus too', async () => {
    const { page, errors } = await openApp(browser, web.url);
    await page.click('[data-nav="terminals"]');
    await page.waitForSelector('form[aria-label="New terminal"] button[type="submit"]:not([disabled])');
    const earlier = await page.evaluate(() => window.location.hash);
    await page.click('form[aria-label="New terminal"] button[type="submit"]');
    await page.waitForFunction((h) => /^#\/terminals\/[0-9a-f-]{36}$/.test(window.location.hash) && window.location.hash !== h, earlier, { timeout: 20_000 });
    const id = (await page.evaluate(() => window.location.hash)).split('/').pop()!;
    // The new terminal (not one opened before) has the focus: the clicked button gave it up.
    await page.waitForFunction((sid) => document.activeElement?.classList.contains('xterm-helper-textarea') && !!document.activeElement.closest(`[data-session="${sid}"]`), id, { timeout: 10_000 });
    await page.keyboard.type('echo "form=$((3*5))"');
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => /form=15/.test(document.querySelector('[data-testid="terminal"] .xterm-rows')?.textContent ?? ''), undefined, { timeout: 20_000 });
    expect(errors).toEqual([]);
  });

  it('edits a server from the palette: the edit dialog opens, Esc closes it and focus returns', async () => {
    const { page } = await openApp(browser, web.url);
    await palette(page, 'edit kbd-1', `server-edit-${serverId}`);
    await page.keyboard.press('Enter');
    const dialog = page.locator('[role="dialog"][aria-label="Edit server"]');
    await dialog.waitFor();
    expect(await page.inputValue('#srv-host')).toBe(s.host);
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
  });

  async function escCloses(page: Page, open: () => Promise<void>, selector: string, opener: Record<string, string>) {
    await open();
    const before = await focused(page);
    await page.locator(selector).waitFor();
    expect(await page.evaluate((sel) => document.querySelector(sel)?.contains(document.activeElement), selector)).toBe(true);
    await page.keyboard.press('Escape');
    await page.locator(selector).waitFor({ state: 'detached' });
    expect({ before, after: await focusAfterClose(page, opener) }).toMatchObject({ after: opener });
  }

  it('Esc closes every dialog and drawer kind and gives focus back to the opener', async () => {
    const { page, errors } = await openApp(browser, web.url);
    await escCloses(page, () => page.click('[data-testid="palette-open"]'), '[data-testid="palette"]', { testid: 'palette-open' });
    await escCloses(page, () => page.click('button:has-text("Add server")'), '[role="dialog"][aria-label="Add server"]', { text: 'Add server' });
    await escCloses(page, () => page.click('button:has-text("Import from SSH config")'), '[role="dialog"][aria-label="Import from SSH config"]', { text: 'Import from SSH config' });
    await page.goto(`${web.url.replace(/#.*/, '')}#/servers/${serverId}`);
    await escCloses(page, () => page.click('[data-testid="server-edit"]'), '[role="dialog"][aria-label="Edit server"]', { testid: 'server-edit' });
    await escCloses(page, () => page.click('[data-testid="server-detail"] button:has-text("Remove")'), '[data-testid="confirm-dialog"]', { text: 'Remove' });
    await page.click('[data-nav="containers"]');
    await page.waitForSelector('tr[data-container="worker"]', { timeout: 30_000 });
    await escCloses(page, () => page.click('tr[data-container="worker"] [data-testid="inspect-open"]'), '[data-testid="inspect"]', { testid: 'inspect-open', text: 'worker' });
    await escCloses(page, () => page.click('tr[data-container="worker"] button:has-text("Remove")'), '[data-testid="confirm-dialog"]', { text: 'Remove' });
    await page.click('[role="tab"]:has-text("Images")');
    await escCloses(page, () => page.click('button:has-text("Prune unused")'), '[role="dialog"][aria-label="Prune preview"]', { text: 'Prune unused images…' });
    // Still there: Esc cancelled the removal.
    expect((await s.exec(['docker', 'inspect', '-f', '{{.State.Running}}', 'worker'], { check: true })).stdout.trim()).toBe('true');
    expect(errors).toEqual([]);
  });

  it('an open drawer leaves the rows and their actions usable', async () => {
    const { page, errors } = await openApp(browser, web.url);
    await page.click('[data-nav="containers"]');
    await page.waitForSelector('tr[data-container="worker"]', { timeout: 30_000 });
    await page.click('tr[data-container="web"] [data-testid="inspect-open"]');
    const drawer = page.locator('[data-testid="inspect"]');
    await drawer.locator('dl.facts').waitFor({ timeout: 20_000 });
    await docScreenshot(page, 'inspect-drawer');
    const stop = page.locator('tr[data-container="worker"] button:has-text("Stop")');
    // In view beside the drawer without scrolling, and the button itself is what a click at its centre reaches.
    const box = (await stop.boundingBox())!;
    const drawerBox = (await drawer.boundingBox())!;
    expect(box.x + box.width).toBeLessThanOrEqual(drawerBox.x);
    expect(box.x).toBeGreaterThanOrEqual(0);
    const hit = await page.evaluate(({ x, y }) => document.elementFromPoint(x, y)?.textContent ?? null, { x: box.x + box.width / 2, y: box.y + box.height / 2 });
    expect(hit).toBe('Stop');
    await stop.click({ timeout: 5_000 });
    await page.waitForFunction(() => document.querySelector('tr[data-container="worker"] [data-testid="state"]')?.textContent === 'exited', undefined, { timeout: 20_000 });
    expect((await s.exec(['docker', 'inspect', '-f', '{{.State.Running}}', 'worker'], { check: true })).stdout.trim()).toBe('false');
    // The drawer stayed open through it.
    expect(await drawer.isVisible()).toBe(true);
    expect(errors).toEqual([]);
  });
});
