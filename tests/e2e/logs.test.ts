import { readFileSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUSYBOX_TAG, Testbed, type TestServer } from '../testbed/index.ts';
import { docScreenshot, launchBrowser, watchErrors } from '../helpers/browser.ts';
import { addServer } from '../helpers/servers.ts';
import { startWebProcess, type WebProcess } from '../helpers/web-process.ts';

const N = 1_000_000;

function rssOf(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m![1]) * 1024;
}

describe('logs in Chromium (web mode, real test server)', () => {
  let bed: Testbed;
  let web: WebProcess;
  let browser: Browser;
  let s: TestServer;
  let serverId: string;

  beforeAll(async () => {
    bed = await Testbed.create({ prefix: 'e2elogs' });
    s = await bed.addServer({ name: 'logs-e2e', images: ['busybox'] });
    web = await startWebProcess();
    browser = await launchBrowser();
    const { client, close } = await web.client();
    serverId = (await addServer(client, s, { name: 'logs-e2e' })).id;
    close();
  });
  afterAll(async () => {
    await browser?.close();
    await web?.stop();
    await bed?.teardown();
  });

  async function open(hash: string): Promise<{ page: Page; errors: string[] }> {
    const page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
    const errors = watchErrors(page);
    await page.goto(web.url);
    await page.waitForSelector('nav[aria-label="Main"]');
    await page.evaluate((h) => (window.location.hash = h), hash);
    return { page, errors };
  }

  it('follows a container printing 1,000,000 lines to the end; search finds a line near the end; memory stays bounded', async () => {
    // The container waits until the page follows it, then prints a million lines and stays up (still followed).
    await s.exec(['docker', 'run', '-d', '--name', 'million', BUSYBOX_TAG, 'sh', '-c', `sleep 3; seq 1 ${N}; sleep 3600`], { check: true });
    const { page, errors } = await open(`#/logs?server=${serverId}&containers=million&tail=all`);
    await page.waitForSelector('[data-testid="log-status"]:text("live")', { timeout: 30_000 });
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Performance.enable');
    const heap = async () => {
      const { metrics } = await cdp.send('Performance.getMetrics');
      return metrics.find((m) => m.name === 'JSHeapUsedSize')!.value;
    };
    let maxWebRss = rssOf(web.child.pid!);
    let maxHeap = await heap();
    // Sample memory while the million lines stream in; the page must keep up (followed to the end).
    const deadline = Date.now() + 150_000;
    for (;;) {
      maxWebRss = Math.max(maxWebRss, rssOf(web.child.pid!));
      maxHeap = Math.max(maxHeap, await heap());
      const received = Number(await page.getAttribute('[data-testid="log-count"]', 'data-received'));
      if (received >= N) break;
      if (Date.now() > deadline) throw new Error(`only ${received} of ${N} lines arrived in time`);
      await page.waitForTimeout(250);
    }
    // Auto-follow: the last line is on screen, and the oldest 800,000 were dropped from the 200,000-line buffer.
    await page.waitForFunction((last) => [...document.querySelectorAll('.log-row .log-text')].some((e) => e.textContent === last), String(N), { timeout: 10_000 });
    const lastRow = page.locator('.log-row .log-text', { hasText: new RegExp(`^${N}$`) });
    expect(await lastRow.isVisible()).toBe(true);
    expect(Number(await page.getAttribute('[data-testid="log-count"]', 'data-dropped'))).toBe(N - 200_000);
    expect(await page.innerText('[data-testid="log-count"]')).toMatch(/800,000 dropped/);

    // Search finds a line near the end, highlighted and scrolled to.
    await page.fill('input[aria-label="Search logs"]', '999990');
    await page.press('input[aria-label="Search logs"]', 'Enter');
    await page.waitForSelector('.log-current mark:text("999990")', { timeout: 10_000 });
    expect(await page.locator('.log-current mark').first().isVisible()).toBe(true);
    expect(await page.innerText('[data-testid="log-matches"]')).toBe('1/1');
    expect(await page.innerText('[data-testid="log-status"]')).toBe('paused');

    maxHeap = Math.max(maxHeap, await heap());
    maxWebRss = Math.max(maxWebRss, rssOf(web.child.pid!));
    console.log(`page JS heap max ${(maxHeap / 1e6).toFixed(1)} MB; web process RSS max ${(maxWebRss / 1e6).toFixed(1)} MB`);
    // Bounded: 1M lines held as JS objects would take several hundred MB in either process. The web process stays
    // under 250 MB because its old generation is collected before garbage piles up (core/heap.ts; ~320 MB without).
    expect(maxHeap).toBeLessThan(120 * 1024 * 1024);
    expect(maxWebRss).toBeLessThan(250 * 1024 * 1024);
    expect(errors).toEqual([]);
    await page.close();
  }, 240_000);

  it('interleaves two containers with colours, stderr marked, timestamps toggled; picker opens them', async () => {
    const script = (name: string, colour: number) =>
      `for i in $(seq 1 30); do printf '\\033[${colour}m${name}\\033[0m request %s ok\\n' $i; echo "${name} warning $i" >&2; sleep 0.05; done; sleep 3600`;
    await Promise.all([
      s.exec(['docker', 'run', '-d', '--name', 'web-api', BUSYBOX_TAG, 'sh', '-c', script('api', 32)], { check: true }),
      s.exec(['docker', 'run', '-d', '--name', 'worker', BUSYBOX_TAG, 'sh', '-c', script('worker', 35)], { check: true }),
    ]);
    const { page, errors } = await open('#/logs');
    // The picker: server, then two containers.
    await page.check('input[data-container="web-api"]', { timeout: 30_000 });
    await page.check('input[data-container="worker"]');
    await page.fill('#logs-tail', 'all');
    await page.click('text=Show logs');
    await page.waitForFunction(() => Number(document.querySelector('[data-testid="log-count"]')?.getAttribute('data-received')) >= 120, undefined, { timeout: 30_000 });
    // Tags per container, stderr styled apart, ANSI colour as a styled span (not raw escapes).
    expect(await page.locator('.logs-legend .log-tag').allInnerTexts()).toEqual(['web-api', 'worker']);
    const tags = new Set(await page.locator('.log-row .log-tag').allInnerTexts());
    expect(tags).toEqual(new Set(['web-api', 'worker']));
    expect(await page.locator('.log-line[data-stream="err"]').count()).toBeGreaterThan(0);
    const green = page.locator('.log-line[data-stream="out"] .log-text span', { hasText: /^api$/ }).first();
    expect(await green.evaluate((e) => getComputedStyle(e).color)).toBe('rgb(13, 188, 121)');
    expect(await page.locator('.log-text').allInnerTexts()).not.toContainEqual(expect.stringContaining('\x1b'));
    expect(await page.locator('.log-time').count()).toBeGreaterThan(0);
    await page.fill('input[aria-label="Search logs"]', 'warning 2');
    await page.press('input[aria-label="Search logs"]', 'Enter');
    await page.waitForSelector('.log-current mark');
    await docScreenshot(page, 'logs');
    await page.uncheck('.logs-toolbar input[type="checkbox"]');
    expect(await page.locator('.log-time').count()).toBe(0);
    // Download what is buffered.
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('text=Download')]);
    const text = readFileSync((await download.path())!, 'utf8');
    expect(text).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z web-api out api request 1 ok$/m);
    expect(text).toMatch(/ worker err worker warning 1$/m);
    expect(errors).toEqual([]);
    await page.close();
  }, 120_000);
});
