import { createORPCClient } from '@orpc/client';
import { RPCLink } from '@orpc/client/websocket';
import type { ContractRouterClient } from '@orpc/contract';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import type { Contract } from '../../src/shared/contract/index.ts';
import { BUSYBOX_TAG, Testbed, type TestServer } from '../testbed/index.ts';
import { startTestApp, waitFor, type TestApp } from '../helpers/app.ts';
import { docScreenshot, launchBrowser, openApp } from '../helpers/browser.ts';
import { openAppForScan, seriousViolations } from '../helpers/a11y.ts';
import { addServer } from '../helpers/servers.ts';

const KEEPALIVE_MS = 1_000;
const KEEPALIVE_COUNT = 2;
const card = (name: string) => `a.fleet-card[data-server="${name}"]`;

/**
 * Live state that stays true without a reload: container uptimes tick, a server removed by another client
 * leaves the page, a cut link shows "reconnecting" within the keep-alive window with the figures greyed and
 * "last seen", and everything is live again once the link is back. In-process app (like alerts.test.ts):
 * only createApp takes the short keep-alives.
 */
describe('live state in Chromium (web mode, real test servers)', () => {
  let bed: Testbed;
  let a: TestServer;
  let b: TestServer;
  let app: TestApp;
  let browser: Browser;
  let idA: string;
  let idB: string;

  beforeAll(async () => {
    bed = await Testbed.create({ prefix: 'e2elive' });
    const servers = await bed.addServers([
      { name: 'live-a', images: ['busybox'] },
      { name: 'live-b', images: ['busybox'] },
    ]);
    a = servers[0]!;
    b = servers[1]!;
    app = await startTestApp({
      monitor: { unreachableAfterMs: 2_000 },
      ssh: { keepaliveIntervalMs: KEEPALIVE_MS, keepaliveCountMax: KEEPALIVE_COUNT, reconnect: { baseMs: 200, maxMs: 1_000, maxAttempts: 1000 } },
    });
    await app.client.settings.update({ sampleIntervalSec: 2 });
    idA = (await addServer(app.client, a, { name: 'live-a' })).id;
    idB = (await addServer(app.client, b, { name: 'live-b' })).id;
    await a!.exec(['docker', 'run', '-d', '--name', 'ticker', BUSYBOX_TAG, 'sleep', '100000'], { check: true });
    browser = await launchBrowser();
  }, 120_000);
  afterAll(async () => {
    await a?.restoreLink().catch(() => {});
    await browser?.close();
    await app?.close();
    await bed?.teardown();
  });

  /** A page that has not been reloaded keeps this mark. */
  const mark = (page: Page) => page.evaluate(() => ((window as unknown as { __mark: number }).__mark = 42));
  const marked = (page: Page) => page.evaluate(() => (window as unknown as { __mark?: number }).__mark === 42);

  it('a container uptime ticks in the page without a reload or a Docker event', async () => {
    const { page, errors } = await openApp(browser, app.server.url);
    await page.evaluate(() => (window.location.hash = '#/containers'));
    const status = page.locator('tr[data-container="ticker"] [data-testid="container-status"]');
    // Ours reads "Up 7s"; Docker's own text is "Up 7 seconds": a changed text in our format is the page ticking.
    await status.filter({ hasText: /^Up \d+s$/ }).waitFor({ timeout: 60_000 });
    await mark(page);
    const seconds = async () => Number(/^Up (\d+)s$/.exec(await status.innerText())?.[1] ?? NaN);
    const first = await seconds();
    const later = await waitFor(async () => ((await seconds()) >= first + 3 ? seconds() : null), 'the uptime to advance 3 s', 15_000, 250);
    expect(later).toBeGreaterThanOrEqual(first + 3);
    expect(await status.innerText()).toMatch(/^Up \d+s$/);
    expect(await marked(page)).toBe(true);
    expect(errors).toEqual([]);
    await page.close();
  }, 120_000);

  it('a server removed through the API by a second client disappears from the page', async () => {
    const { page, errors } = await openApp(browser, app.server.url);
    await page.locator(card('live-b')).waitFor({ timeout: 30_000 });
    await page.locator(card('live-a')).waitFor();
    await mark(page);
    const ws = new WebSocket(app.rpcUrl());
    await new Promise<void>((resolve, reject) => (ws.once('open', () => resolve()), ws.once('error', reject)));
    try {
      const other: ContractRouterClient<Contract> = createORPCClient(new RPCLink({ websocket: ws as never }));
      expect(await other.servers.remove({ id: idB })).toEqual({ removed: true });
      expect((await other.servers.list()).map((s) => s.name)).toEqual(['live-a']);
    } finally {
      ws.close();
    }
    await page.locator(card('live-b')).waitFor({ state: 'detached', timeout: 15_000 });
    expect(await page.locator(card('live-a')).count()).toBe(1);
    expect(await marked(page)).toBe(true);
    expect(errors).toEqual([]);
    await page.close();
  }, 120_000);

  it('a cut link shows "reconnecting" within the keep-alive window, figures greyed with last seen; live again after restore', async () => {
    const { page, errors } = await openAppForScan(browser, app.server.url);
    const badge = page.locator(`${card('live-a')} [data-testid="status"]`);
    await badge.filter({ hasText: /^● connected$/ }).waitFor({ timeout: 60_000 });
    await page.locator(`${card('live-a')} [data-testid="container-counts"]`, { hasText: '1 running' }).waitFor({ timeout: 60_000 });
    expect(await page.locator(`${card('live-a')} [data-testid="last-seen"]`).count()).toBe(0);
    // A second page shows the containers table, open before the cut (as a user would have it).
    const table = await openApp(browser, app.server.url);
    await table.page.evaluate(() => (window.location.hash = '#/containers'));
    await table.page.locator('tr[data-container="ticker"] [data-testid="container-status"]', { hasText: /^Up / }).waitFor({ timeout: 30_000 });
    expect(await table.page.getAttribute('tr[data-container="ticker"]', 'data-stale')).toBeNull();
    // And a third the server's own page, its facts loaded.
    const detail = await openApp(browser, app.server.url);
    await detail.page.evaluate((id) => (window.location.hash = `#/servers/${id}`), idA);
    await detail.page.locator('[data-testid="facts"] [data-testid="host-uptime"]').waitFor({ timeout: 30_000 });
    expect(await detail.page.getAttribute('[data-testid="facts"]', 'class')).toBe('facts');

    const cutAt = Date.now();
    await a.cutLink();
    await badge.filter({ hasText: 'reconnecting' }).waitFor({ timeout: 30_000 });
    const shownAfter = Date.now() - cutAt;
    console.log(`"reconnecting" shown ${shownAfter} ms after the cut (keep-alive ${KEEPALIVE_MS} ms × ${KEEPALIVE_COUNT})`);
    // The keep-alive window (interval × count) plus one interval for the check to land and the page to paint.
    expect(shownAfter).toBeLessThan(KEEPALIVE_MS * (KEEPALIVE_COUNT + 1) + 2_000);
    // The fault is real: the server cannot be reached from here while the link is down.
    expect(app.services.pool.state((await app.client.servers.list())[0]!.id).state).not.toBe('ready');

    expect(await page.getAttribute(card('live-a'), 'data-stale')).toBe('true');
    const lastSeen = page.locator(`${card('live-a')} [data-testid="last-seen"]`);
    await lastSeen.filter({ hasText: /^last seen \d+s ago$/ }).waitFor({ timeout: 5_000 });
    const filter = await page.locator(`${card('live-a')} .figures`).first().evaluate((e) => getComputedStyle(e).filter);
    expect(filter).toBe('grayscale(1)');
    await docScreenshot(page, 'server-reconnecting');
    expect(await seriousViolations(page)).toEqual([]);

    // The containers table greys the server's rows and says when they were last seen.
    await table.page.locator('[data-testid="server-stale"][data-server="live-a"]', { hasText: /last seen \d+s ago/ }).waitFor({ timeout: 10_000 });
    expect(await table.page.getAttribute('tr[data-container="ticker"]', 'data-stale')).toBe('true');

    await detail.page.locator('[data-testid="server-detail"] [data-testid="last-seen"]', { hasText: /^last seen \d+s ago$/ }).waitFor({ timeout: 10_000 });
    expect(await detail.page.getAttribute('[data-testid="facts"]', 'class')).toBe('facts stale');

    await a.restoreLink();
    await detail.page.locator('[data-testid="server-detail"] [data-testid="last-seen"]').waitFor({ state: 'detached', timeout: 60_000 });
    expect(await detail.page.getAttribute('[data-testid="facts"]', 'class')).toBe('facts');
    expect(detail.errors).toEqual([]);
    await detail.page.close();
    await table.page.locator('[data-testid="server-stale"]').waitFor({ state: 'detached', timeout: 60_000 });
    expect(await table.page.getAttribute('tr[data-container="ticker"]', 'data-stale')).toBeNull();
    expect(table.errors).toEqual([]);
    await table.page.close();
    await badge.filter({ hasText: /^● connected$/ }).waitFor({ timeout: 30_000 });
    expect(await page.getAttribute(card('live-a'), 'data-stale')).toBeNull();
    expect(await page.locator(`${card('live-a')} [data-testid="last-seen"]`).count()).toBe(0);
    expect(errors).toEqual([]);
    await page.close();
  }, 180_000);
});
