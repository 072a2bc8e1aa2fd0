import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUSYBOX_TAG, Testbed, type TestServer } from '../testbed/index.ts';
import { launchBrowser, publishDocScreenshot, screenshot, watchErrors } from '../helpers/browser.ts';
import { addServer } from '../helpers/servers.ts';
import { startWebProcess, type WebProcess } from '../helpers/web-process.ts';

describe('fleet dashboard and containers in Chromium (web mode, real servers)', () => {
  let bed: Testbed;
  let web: WebProcess;
  let browser: Browser;
  let s1: TestServer;
  let s2: TestServer;

  beforeAll(async () => {
    bed = await Testbed.create();
    [s1, s2] = (await bed.addServers([{ name: 'prod-1', images: ['busybox'] }, { name: 'prod-2', images: ['busybox'] }])) as [TestServer, TestServer];
    await s1.exec(['docker', 'run', '-d', '--name', 'api', '-e', 'API_TOKEN=tok-secret-123', BUSYBOX_TAG, 'sh', '-c', 'while :; do :; done'], { check: true });
    await s1.exec(['docker', 'run', '-d', '--name', 'worker', '--stop-timeout', '1', BUSYBOX_TAG, 'sleep', '100000'], { check: true });
    await s2.exec(['docker', 'run', '-d', '--name', 'cache', BUSYBOX_TAG, 'sleep', '100000'], { check: true });
    web = await startWebProcess();
    const { client, close } = await web.client();
    await client.settings.update({ sampleIntervalSec: 2 });
    await addServer(client, s1, { name: 'prod-1' });
    await addServer(client, s2, { name: 'prod-2' });
    close();
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await web?.stop();
    await bed?.teardown();
  });

  it('shows every server live with metrics and container counts, then a server’s charts', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 820 } });
    const errors = watchErrors(page);
    await page.goto(web.url);
    await page.waitForSelector('[data-testid="fleet"]');
    await page.waitForFunction(() => document.querySelector('a.fleet-card[data-server="prod-1"] [data-testid="container-counts"]')?.textContent?.includes('2 running'), undefined, { timeout: 30_000 });
    await page.waitForFunction(() => !document.querySelector('a.fleet-card[data-server="prod-1"]')?.textContent?.includes('CPU—'), undefined, { timeout: 30_000 });
    expect(await page.innerText('a.fleet-card[data-server="prod-2"] [data-testid="container-counts"]')).toContain('1 running');
    // Live: a container stopped outside OpenPanel changes the counts without a reload.
    await s2.exec(['docker', 'stop', '-t', '1', 'cache'], { check: true });
    await page.waitForFunction(() => document.querySelector('a.fleet-card[data-server="prod-2"] [data-testid="container-counts"]')?.textContent?.includes('0 running'), undefined, { timeout: 20_000 });
    const shot = await screenshot(page, 'dashboard');
    publishDocScreenshot(shot, 'dashboard');

    await page.click('a.fleet-card[data-server="prod-1"]');
    await page.waitForSelector('[data-testid="chart-CPU"] canvas', { timeout: 30_000 });
    await page.waitForSelector('[data-testid="chart-Container CPU"] canvas', { timeout: 30_000 });
    await page.click('[role="radio"]:has-text("24h")');
    await page.waitForSelector('[data-testid="chart-CPU"] canvas');
    expect(errors).toEqual([]);
  });

  it('lists containers across servers, acts on them live, masks env until revealed, previews prunes', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 820 } });
    const errors = watchErrors(page);
    await page.goto(web.url);
    await page.click('[data-nav="containers"]');
    await page.waitForSelector('tr[data-container="api"]');
    expect(await page.locator('tr[data-container]').count()).toBe(3);
    await page.fill('input[aria-label="Search containers"]', 'work');
    await page.waitForFunction(() => document.querySelectorAll('tr[data-container]').length === 1);
    await page.click('tr[data-container="worker"] button:has-text("Stop")');
    await page.waitForFunction(() => document.querySelector('tr[data-container="worker"] [data-testid="state"]')?.textContent === 'exited', undefined, { timeout: 20_000 });
    await page.click('tr[data-container="worker"] button:has-text("Start")');
    await page.waitForFunction(() => document.querySelector('tr[data-container="worker"] [data-testid="state"]')?.textContent === 'running', undefined, { timeout: 20_000 });
    await page.fill('input[aria-label="Search containers"]', '');

    await page.click('tr[data-container="api"] td:first-child');
    await page.waitForSelector('[data-env="API_TOKEN"]');
    expect(await page.innerText('[data-env="API_TOKEN"]')).not.toContain('tok-secret-123');
    await page.click('[data-testid="reveal-env"]');
    await page.waitForFunction(() => document.querySelector('[data-env="API_TOKEN"]')?.textContent === 'tok-secret-123');
    await screenshot(page, 'containers');
    await page.click('button[aria-label="Close"]');

    await page.click('[role="tab"]:has-text("Images")');
    await page.waitForSelector('[data-testid="images-table"] tr');
    await page.click('text=Prune unused images…');
    await page.waitForSelector('[role="dialog"][aria-label="Prune preview"]');
    await page.click('[role="dialog"] button:has-text("Cancel")');
    expect(errors).toEqual([]);
  });
});
