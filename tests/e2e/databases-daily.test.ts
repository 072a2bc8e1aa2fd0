import { connect } from 'node:net';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Testbed, type TestServer } from '../testbed/index.ts';
import { docScreenshot, launchBrowser, watchErrors } from '../helpers/browser.ts';
import { seriousViolations, seriousViolationsInBothThemes } from '../helpers/a11y.ts';
import { loadDataImages, type DataImages } from '../helpers/s3.ts';
import { addServer } from '../helpers/servers.ts';
import { startWebProcess, type WebProcess } from '../helpers/web-process.ts';

/** Whether something accepts TCP connections on 127.0.0.1:port (one attempt, bounded). */
function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = connect({ host: '127.0.0.1', port });
    const done = (ok: boolean) => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(3000, () => done(false));
    sock.once('connect', () => done(true));
    sock.once('error', () => done(false));
  });
}

// Issue 12 items 6 and 16: a database cannot be created on a server without a registry until its image is mapped,
// and the error leads to the one image-mapping screen; then the databases page's server column, copy buttons,
// and its local forward listed (and closed) on the Forwards page.
describe('databases offline: image mapping, copy buttons, forwards (Chromium, web mode, real server)', () => {
  let bed: Testbed;
  let s: TestServer;
  let images: DataImages;
  let web: WebProcess;
  let browser: Browser;
  let serverId: string;
  let page: Page;
  let errors: string[];

  beforeAll(async () => {
    bed = await Testbed.create({ prefix: 'e2eimg' });
    s = await bed.addServer({ name: 'offline' });
    images = await loadDataImages(s);
    web = await startWebProcess();
    const { client, close } = await web.client();
    serverId = (await addServer(client, s, { name: 'offline-1' })).id;
    close();
    browser = await launchBrowser();
    const context = await browser.newContext({ viewport: { width: 1400, height: 900 }, permissions: ['clipboard-read', 'clipboard-write'] });
    page = await context.newPage();
    errors = watchErrors(page);
    await page.goto(web.url);
    await page.waitForSelector('nav[aria-label="Main"]');
  }, 400_000);
  afterAll(async () => {
    await browser?.close();
    await web?.stop();
    await bed?.teardown();
  });

  const clipboard = () => page.evaluate(() => navigator.clipboard.readText());

  it('a failed pull links to the image mapping; a bad reference is refused by field; mapping to the stand-in makes the create succeed', async () => {
    await page.click('[data-nav="databases"]');
    const empty = page.locator('[data-testid="empty-state"]');
    expect(await empty.innerText()).toMatch(/No databases yet\.[\s\S]*Create one with New database/);
    await page.click('[data-testid="empty-state"] button:has-text("New database")');
    await page.fill('#db-name', 'shop');
    await page.click('button:has-text("Create database")');
    const failure = page.locator('[data-testid="create-error"]');
    await failure.waitFor({ timeout: 60_000 });
    expect(await failure.innerText()).toMatch(/image postgres:16 is not on the server and could not be pulled/);
    // The fault really happened: the server has no postgres:16 and no database container.
    expect((await s.exec(['docker', 'image', 'inspect', 'postgres:16'])).code).not.toBe(0);
    expect((await s.exec(['docker', 'ps', '-a', '--filter', 'name=op-db-shop', '-q'], { check: true })).stdout.trim()).toBe('');

    await failure.locator('[data-testid="open-image-mapping"]').click();
    const dialog = page.locator('[data-testid="image-mapping"]');
    await dialog.waitFor();
    expect(await dialog.locator('h2').first().innerText()).toMatch(/Image mapping on offline-1/);
    // The image of the failed create is the first row and has the focus; every image the app runs is listed.
    expect(await dialog.locator('tbody tr').first().getAttribute('data-image')).toBe('postgres:16');
    expect(await page.evaluate(() => document.activeElement?.closest('tr')?.dataset.image)).toBe('postgres:16');
    const listed = await dialog.locator('tbody tr').evaluateAll((rows) => rows.map((r) => (r as HTMLElement).dataset.image));
    expect(listed).toEqual(expect.arrayContaining(['caddy:2', 'traefik:v3.3', 'docker:27-cli', 'node:22-alpine', 'mariadb:11', 'redis:7', 'openpanel/backup-tools:1']));
    // The theme toggle is behind the modal: this theme here, the other one when the server page opens it (last test).
    expect(await page.evaluate(() => document.documentElement.dataset.theme)).toBe('light');
    expect(await seriousViolations(page)).toEqual([]);

    const row = dialog.locator('tr[data-image="postgres:16"]');
    await row.locator('input').fill('not an image!');
    await dialog.locator('button:has-text("Save mapping")').click();
    await row.locator('.field-error').waitFor();
    expect(await row.locator('.field-error').innerText()).toMatch(/expected an image reference like/);
    const { client, close } = await web.client();
    expect(await client.databases.images({ serverId })).toEqual({});

    await row.locator('input').fill(images.postgres);
    await dialog.locator('tr[data-image="caddy:2"] input').fill('mirror.example:5000/caddy:2');
    await docScreenshot(page, 'image-mapping');
    await dialog.locator('button:has-text("Save mapping")').click();
    await dialog.waitFor({ state: 'detached' });
    // Each mapping went to the store its image is read from.
    expect(await client.databases.images({ serverId })).toEqual({ 'postgres:16': images.postgres });
    expect((await client.proxy.settings({ serverId })).imageOverrides.images).toEqual({ 'caddy:2': 'mirror.example:5000/caddy:2' });
    close();

    await page.click('button:has-text("Create database")');
    await page.waitForSelector('tr[data-database="shop"] [data-testid="db-state"]:has-text("running")', { timeout: 120_000 });
    expect(await page.innerText('tr[data-database="shop"] [data-testid="db-engine"]')).toContain(images.postgres);
    expect(await page.innerText('tr[data-database="shop"] [data-testid="db-server"]')).toBe('offline-1');
  }, 300_000);

  it('copies user, host:port, URL and password without showing the password; a local forward is listed on Forwards and closed there', async () => {
    const { client, close } = await web.client();
    const db = (await client.databases.list({})).find((d) => d.name === 'shop')!;
    const conn = await client.databases.connection({ id: db.id });
    close();
    const row = page.locator('tr[data-database="shop"]');
    await row.locator('[data-testid="copy-user"]').click();
    await page.waitForSelector('.toast:has-text("User copied")');
    expect(await clipboard()).toBe('app');
    await row.locator('[data-testid="copy-host"]').click();
    await page.waitForSelector('.toast:has-text("Host and port copied")');
    expect(await clipboard()).toBe('shop:5432');
    await row.locator('[data-testid="copy-password"]').click();
    await page.waitForSelector('.toast:has-text("Password copied")');
    expect(await clipboard()).toBe(conn.password);
    expect(conn.password.length).toBeGreaterThan(10);
    expect(await page.innerText('body')).not.toContain(conn.password);
    await row.locator('[data-testid="copy-url"]').click();
    await page.waitForSelector('.toast:has-text("Connection string copied")');
    expect(await clipboard()).toBe(conn.internalUrl);

    await row.locator('button:has-text("Open locally")').click();
    const fwd = row.locator('[data-testid="db-forward"]');
    await fwd.waitFor({ timeout: 30_000 });
    const localPort = Number(/127\.0\.0\.1:(\d+)/.exec(await fwd.innerText())?.[1]);
    expect(localPort).toBeGreaterThan(0);
    expect(await listening(localPort)).toBe(true);

    await fwd.locator('a:has-text("Forwards")').click();
    const line = page.locator(`[data-testid="forwards-table"] tr[data-forward="${localPort}"]`);
    await line.waitFor();
    expect(await line.innerText()).toMatch(new RegExp(`offline-1\\s+127\\.0\\.0\\.1:${localPort}\\s+127\\.0\\.0\\.1:${db.hostPort} \\(database shop\\)`));
    expect(await seriousViolationsInBothThemes(page)).toEqual({ light: [], dark: [] });
    await docScreenshot(page, 'forwards');
    await line.locator('button:has-text("Close")').click();
    await page.locator('[data-testid="empty-state"]:has-text("No port forwards open.")').waitFor();
    expect(await listening(localPort)).toBe(false);
    const again = await web.client();
    expect(await again.client.forwards.list()).toEqual([]);
    again.close();
  }, 120_000);

  it('the server page opens the same image mapping, showing what was saved', async () => {
    await page.goto(`${web.url.replace(/#.*/, '')}#/servers/${serverId}`);
    await page.click('[data-testid="server-images"]');
    const dialog = page.locator('[data-testid="image-mapping"]');
    await dialog.waitFor();
    expect(await dialog.locator('tr[data-image="postgres:16"] input').inputValue()).toBe(images.postgres);
    expect(await dialog.locator('tr[data-image="caddy:2"] input').inputValue()).toBe('mirror.example:5000/caddy:2');
    expect(await dialog.locator('tr[data-image="mariadb:11"] input').inputValue()).toBe('');
    expect(await page.evaluate(() => document.documentElement.dataset.theme)).toBe('dark');
    expect(await seriousViolations(page)).toEqual([]);
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });

    // The Apps page's proxy panel keeps only the builds' base images and opens the same screen for OpenPanel's own.
    await page.click('[data-nav="apps"]');
    await page.click('[data-testid="proxy-images"]');
    await dialog.waitFor();
    expect(await dialog.locator('tr[data-image="caddy:2"] input').inputValue()).toBe('mirror.example:5000/caddy:2');
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    expect(await page.inputValue('[data-testid="proxy-overrides"]')).toBe('');
    await page.fill('[data-testid="proxy-overrides"]', 'node:20=mirror.example:5000/node:20');
    await page.click('[data-testid="proxy-save"]');
    const { client, close } = await web.client();
    await expect.poll(async () => (await client.proxy.settings({ serverId })).imageOverrides.images, { timeout: 15_000 }).toEqual({ 'caddy:2': 'mirror.example:5000/caddy:2', 'node:20': 'mirror.example:5000/node:20' });
    close();
    expect(errors).toEqual([]);
  }, 60_000);
});
