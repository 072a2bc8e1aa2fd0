import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Testbed, type TestServer } from '../testbed/index.ts';
import { docScreenshot, launchBrowser, openApp } from '../helpers/browser.ts';
import { openAppForScan, seriousViolationsInBothThemes } from '../helpers/a11y.ts';
import { addServer } from '../helpers/servers.ts';
import { startWebProcess, type WebProcess } from '../helpers/web-process.ts';

/** Pixels of the chart's y-axis strip whose colour is within 60 per channel of `rgb` (the theme's text colour). */
async function axisPixelsLike(page: Page, chart: string, rgb: [number, number, number]): Promise<number> {
  return page.evaluate(
    ({ chart, rgb }) => {
      const canvas = document.querySelector<HTMLCanvasElement>(`[data-testid="chart-${chart}"] canvas`);
      const ctx = canvas?.getContext('2d');
      if (!canvas || !ctx) return -1;
      const strip = Math.round(70 * (window.devicePixelRatio || 1));
      const px = ctx.getImageData(0, 0, strip, canvas.height).data;
      let n = 0;
      for (let i = 0; i < px.length; i += 4) if (px[i + 3]! > 200 && Math.abs(px[i]! - rgb[0]) < 60 && Math.abs(px[i + 1]! - rgb[1]) < 60 && Math.abs(px[i + 2]! - rgb[2]) < 60) n++;
      return n;
    },
    { chart, rgb },
  );
}

// Issue 12 item 16: empty states that say what to do first, the ssh-config import preview, raw error codes in
// words, and charts readable in both themes with the current values shown.
describe('daily use: empty states, ssh-config import, error codes, charts (Chromium, web mode)', () => {
  let bed: Testbed;
  let s: TestServer;
  let web: WebProcess;
  let browser: Browser;
  let keys: string;

  beforeAll(async () => {
    bed = await Testbed.create({ prefix: 'e2edly' });
    s = await bed.addServer({ name: 'daily' });
    keys = mkdtempSync(join(tmpdir(), 'op-e2e-keys-'));
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', 'a passphrase', '-f', join(keys, 'enc')]);
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(keys, 'plain')]);
    web = await startWebProcess();
    browser = await launchBrowser();
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await web?.stop();
    await bed?.teardown();
    if (keys) rmSync(keys, { recursive: true, force: true });
  });

  it('every list page, empty, says what to do first, with one empty-state component', async () => {
    const { page, errors } = await openAppForScan(browser, web.url);
    const expected: Record<string, RegExp> = {
      servers: /No servers yet\.[\s\S]*Start here: add a server[\s\S]*Add server/,
      containers: /No containers yet\.[\s\S]*Add a server first/,
      apps: /No apps yet\.[\s\S]*Add a server first/,
      databases: /No databases yet\.[\s\S]*Add a server first/,
      forwards: /No port forwards open\.[\s\S]*Open locally/,
      backups: /No backup schedules yet\.[\s\S]*Add an S3 target/,
      terminals: /No terminals open\.[\s\S]*Open a shell/,
      activity: /No activity yet\.[\s\S]*start by adding a server/,
    };
    for (const [nav, text] of Object.entries(expected)) {
      await page.click(`[data-nav="${nav}"]`);
      // Found by its text: a page may hold more than one (Backups: targets and schedules).
      await page.locator(`main[data-page="${nav}"] [data-testid="empty-state"]`).filter({ hasText: text }).waitFor({ timeout: 15_000 });
    }
    await page.click('[data-nav="servers"]');
    await page.click('[data-testid="empty-state"] button:has-text("Add server")');
    await page.waitForSelector('[role="dialog"]');
    await page.keyboard.press('Escape');
    await page.click('[data-nav="databases"]');
    expect(await seriousViolationsInBothThemes(page)).toEqual({ light: [], dark: [] });
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it('ssh-config import ticks only servers and flags the key that needs a passphrase', async () => {
    const { page, errors } = await openApp(browser, web.url);
    await page.click('[data-nav="servers"]');
    await page.click('button:has-text("Import from SSH config")');
    // Addresses where nothing answers: the import itself never connects, and no host-key prompt follows.
    const nowhere = bed.gateway.replace(/\.1$/, '.251');
    const config = [
      'Match host *.corp exec "true"',
      '  User corp',
      'Host github.com',
      '  User git',
      `Host web-enc`,
      `  HostName ${nowhere}`,
      `  User ${s.users.enc.username}`,
      `  IdentityFile ${join(keys, 'enc')}`,
      'Host db-plain',
      `  HostName ${nowhere}`,
      `  IdentityFile ${join(keys, 'plain')}`,
      'Host *.internal',
      '  User internal',
      'Host *',
      '  User root',
    ].join('\n');
    await page.fill('textarea[aria-label="SSH config text"]', config);
    await page.click('button:has-text("Preview")');
    const table = page.locator('[data-testid="import-candidates"]');
    await table.waitFor();
    const rows = await table.locator('tbody tr').evaluateAll((trs) => trs.map((tr) => ({ alias: (tr as HTMLElement).dataset.alias, ticked: (tr.querySelector('input[type=checkbox]') as HTMLInputElement).checked })));
    expect(rows).toEqual([
      { alias: 'github.com', ticked: false },
      { alias: 'web-enc', ticked: true },
      { alias: 'db-plain', ticked: true },
    ]);
    expect(await table.locator('tr[data-alias="github.com"] [data-testid="import-note"]').innerText()).toMatch(/Not ticked: no HostName/);
    expect(await table.locator('tr[data-alias="web-enc"] [data-testid="needs-passphrase"]').count()).toBe(1);
    expect(await table.locator('tr[data-alias="web-enc"] [data-testid="import-note"]').innerText()).toMatch(/is encrypted: after importing, enter its passphrase with Edit/);
    expect(await table.locator('tr[data-alias="db-plain"] [data-testid="needs-passphrase"]').count()).toBe(0);
    await docScreenshot(page, 'import-ssh-config');
    await page.click('button:has-text("Import 2 servers")');
    await page.waitForSelector('.toast:has-text("2 servers imported")');
    const { client, close } = await web.client();
    expect((await client.servers.list()).map((x) => x.name).sort()).toEqual(['db-plain', 'web-enc']);
    for (const x of await client.servers.list()) await client.servers.remove({ id: x.id });
    close();
    expect(errors).toEqual([]);
    await page.close();
  });

  it('a raw network code in a connection test is explained in words', async () => {
    const { client, close } = await web.client();
    // An unused address on the bed's own link: nothing answers ARP, so the kernel reports EHOSTUNREACH.
    const nowhere = bed.gateway.replace(/\.1$/, '.250');
    const srv = await client.servers.create({ name: 'nowhere', host: nowhere, port: 22, username: 'root', auth: { method: 'password', password: 'unused' } });
    close();
    const { page } = await openApp(browser, web.url);
    await page.goto(`${web.url.replace(/#.*/, '')}#/servers/${srv.id}`);
    await page.click('button:has-text("Test connection")');
    const step = page.locator('[data-testid="test-steps"] li[data-status="error"]').first();
    await step.waitFor({ timeout: 60_000 });
    const text = await step.innerText();
    expect(text).toMatch(/EHOSTUNREACH/);
    expect(text).toContain('(EHOSTUNREACH: no route to the host: it is down, or a network or firewall between here and it drops the traffic)');
    const again = await web.client();
    await again.client.servers.remove({ id: srv.id });
    again.close();
    await page.close();
  }, 90_000);

  it('charts have axes in the theme colours with units, and show current values without hovering', async () => {
    const { client, close } = await web.client();
    const srv = await addServer(client, s, { name: 'charts' });
    close();
    // The token arrives in the first URL's fragment only; the server's page is opened after it.
    const { page, errors } = await openApp(browser, web.url, { width: 1280, height: 1400 });
    await page.goto(`${web.url.replace(/#.*/, '')}#/servers/${srv.id}`);
    const now = page.locator('[data-testid="chart-now-CPU"]');
    await page.waitForFunction(() => /now: CPU % [\d.]+ %/.test(document.querySelector('[data-testid="chart-now-CPU"]')?.textContent ?? ''), undefined, { timeout: 60_000 });
    expect(await now.innerText()).toMatch(/^now: CPU % [\d.]+ %$/);
    expect(await page.innerText('[data-testid="chart-now-Memory"]')).toMatch(/^now: used [\d.]+ (KB|MB|GB)$/);
    expect(await page.getAttribute('figure[data-chart="Memory"]', 'aria-label')).toMatch(/^Memory in memory used over time \(now: used [\d.]+ (KB|MB|GB)\)$/);
    for (const theme of ['dark', 'light'] as const) {
      if ((await page.evaluate(() => document.documentElement.dataset.theme)) !== theme) await page.click('[data-testid="theme-toggle"]');
      await page.waitForSelector(`[data-testid="chart-CPU"][data-theme-drawn="${theme}"] canvas`);
      const text = await page.evaluate(() => getComputedStyle(document.documentElement).getPropertyValue('--text').trim());
      const rgb = [1, 3, 5].map((i) => parseInt(text.slice(i, i + 2), 16)) as [number, number, number];
      // Tick labels drawn in the theme's text colour (a CSS variable handed to the canvas draws black instead).
      expect(await axisPixelsLike(page, 'CPU', rgb), theme).toBeGreaterThan(30);
      await docScreenshot(page, `metrics-${theme}`);
    }
    expect(errors).toEqual([]);
    await page.close();
  }, 120_000);

  it('a server without containers says so on the Containers page, and what starts some', async () => {
    // After the charts test: the server is added, and the test server runs no container.
    expect((await s.exec(['docker', 'ps', '-aq'], { check: true })).stdout.trim()).toBe('');
    const { page, errors } = await openApp(browser, web.url);
    await page.click('[data-nav="containers"]');
    const empty = page.locator('main[data-page="containers"] [data-testid="containers-empty"]');
    await empty.waitFor({ timeout: 30_000 });
    expect(await empty.innerText()).toMatch(/No containers on these servers yet\.[\s\S]*Deploy an app or create a database[\s\S]*Go to Apps/);
    expect(errors).toEqual([]);
    await page.close();
  }, 60_000);
});
