import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUSYBOX_TAG, Testbed, type TestServer } from '../testbed/index.ts';
import { startTestApp, waitFor, type TestApp } from '../helpers/app.ts';
import { launchBrowser, openApp, screenshot } from '../helpers/browser.ts';
import { addServer } from '../helpers/servers.ts';

const SERVER = 'alert-1';
const CARD = `a.fleet-card[data-server="${SERVER}"]`;

/**
 * Fleet alerts reach the browser as toasts and the dashboard card lists the active ones. The app runs in this
 * process (services + the web server that serves the built renderer, exactly what `openpanel web` runs) rather
 * than as `openpanel web`, because only createApp takes the short SSH keep-alive and the 2 s "unreachable after"
 * that keep the link-cut part within seconds (the defaults take ~50 s).
 */
describe('fleet alerts in Chromium (web mode, real test server)', () => {
  let bed: Testbed;
  let s: TestServer;
  let app: TestApp;
  let browser: Browser;

  beforeAll(async () => {
    bed = await Testbed.create({ prefix: 'e2ealrt' });
    s = await bed.addServer({ name: SERVER, images: ['busybox'] });
    app = await startTestApp({
      monitor: { unreachableAfterMs: 2_000 },
      ssh: { keepaliveIntervalMs: 1_000, keepaliveCountMax: 2, reconnect: { baseMs: 200, maxMs: 1_000, maxAttempts: 100 } },
    });
    await app.client.settings.update({ sampleIntervalSec: 2, notifications: true, alerts: { restartLoop: true, unhealthy: true, unreachable: true, diskPercent: 100 } });
    await addServer(app.client, s, { name: SERVER });
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await s?.restoreLink().catch(() => {});
    await browser?.close();
    await app?.close();
    await bed?.teardown();
  });

  /** Every toast the page ever showed (they go away after 8 s) as `title: detail`, recorded as it is added. */
  const seenToasts = (page: Page) => page.evaluate(() => (window as unknown as { __toasts: string[] }).__toasts);
  const waitToast = async (page: Page, title: string, detail: string) => {
    await page.waitForFunction(([t, d]) => (window as unknown as { __toasts: string[] }).__toasts.some((x) => x.startsWith(`${t}: `) && x.includes(d)), [title, detail] as const, { timeout: 60_000 });
  };
  const cardAlerts = (page: Page) => page.locator(`${CARD} [role="alert"]`).allInnerTexts();
  /** Polls the card's alert list (the page's CSP forbids string predicates). */
  const waitCard = (page: Page, what: string, ok: (alerts: string[]) => boolean) => waitFor(async () => ok(await cardAlerts(page)), `card: ${what}`, 60_000, 200);

  it('toasts a restart loop, an unhealthy container, an unreachable server and a full disk, naming them, and the card clears once fixed', async () => {
    const { page, errors } = await openApp(browser, app.server.url);
    await page.evaluate(() => {
      const w = window as unknown as { __toasts: string[] };
      w.__toasts = [];
      const text = (el: Element) => `${el.querySelector('strong')?.textContent ?? ''}: ${el.querySelector('.detail')?.textContent ?? ''}`;
      for (const el of document.querySelectorAll('.toast')) w.__toasts.push(text(el));
      new MutationObserver((records) => {
        for (const r of records) for (const n of r.addedNodes) if (n instanceof HTMLElement && n.classList.contains('toast')) w.__toasts.push(text(n));
      }).observe(document.body, { childList: true, subtree: true });
    });
    // The monitor is watching the server (counts come from its container list and Docker events).
    await page.locator(`${CARD} [data-testid="container-counts"]`, { hasText: '0 running' }).waitFor({ timeout: 60_000 });

    await s.exec(['docker', 'run', '-d', '--name', 'crashy', '--restart', 'always', BUSYBOX_TAG, 'sh', '-c', 'exit 1'], { check: true });
    await s.exec(['docker', 'run', '-d', '--name', 'sick', '--health-cmd', 'false', '--health-interval', '1s', '--health-retries', '1', BUSYBOX_TAG, 'sleep', '100000'], { check: true });
    await waitToast(page, 'Restart loop', `crashy on ${SERVER} is in a restart loop`);
    await waitToast(page, 'Container unhealthy', `sick on ${SERVER} is unhealthy`);
    const unhealthyToast = page.locator('.toast', { hasText: `sick on ${SERVER} is unhealthy` });
    expect(await unhealthyToast.locator('strong').innerText()).toBe('Container unhealthy');
    expect(await unhealthyToast.getAttribute('class')).toContain('error');
    // The dashboard card lists the active alerts and counts the unhealthy container.
    await waitCard(page, 'both container alerts', (a) => a.some((t) => t.includes(`crashy on ${SERVER} is in a restart loop`)) && a.some((t) => t.includes(`sick on ${SERVER} is unhealthy`)));
    await page.locator(`${CARD} [data-testid="container-counts"]`, { hasText: '1 unhealthy' }).waitFor({ timeout: 30_000 });
    await screenshot(page, 'alerts');

    // Fixed: both containers removed, their alerts leave the card.
    await s.exec(['docker', 'rm', '-f', 'crashy', 'sick'], { check: true });
    await waitCard(page, 'no alerts', (a) => a.length === 0);

    await s.cutLink();
    await waitToast(page, 'Server unreachable', `${SERVER} is unreachable`);
    await waitCard(page, 'unreachable alert', (a) => a.some((t) => t.includes(`${SERVER} is unreachable`)));
    await s.restoreLink();
    await waitCard(page, 'no alerts', (a) => a.length === 0);
    expect(await cardAlerts(page)).toEqual([]);

    // A disk past the threshold (1 % here, so the test server's disk is past it), cleared when it is raised.
    const alerts = { restartLoop: true, unhealthy: true, unreachable: true };
    await app.client.settings.update({ alerts: { ...alerts, diskPercent: 1 } });
    await waitToast(page, 'Disk almost full', `${SERVER}: disk / is`);
    await waitCard(page, 'disk alert', (a) => a.some((t) => t.includes(`${SERVER}: disk / is`)));
    await app.client.settings.update({ alerts: { ...alerts, diskPercent: 100 } });
    await waitCard(page, 'no alerts', (a) => a.length === 0);

    // Once per episode: the loop kept exiting and the link stayed down for several checks, one toast each.
    const toasts = await seenToasts(page);
    expect(toasts.filter((t) => t.startsWith('Restart loop')), toasts.join('\n')).toEqual([expect.stringMatching(new RegExp(`^Restart loop: crashy on ${SERVER} is in a restart loop \\(\\d+ exits in 2 min\\)$`))]);
    expect(toasts.filter((t) => t.startsWith('Container unhealthy'))).toEqual([`Container unhealthy: sick on ${SERVER} is unhealthy`]);
    expect(toasts.filter((t) => t.startsWith('Server unreachable'))).toHaveLength(1);
    expect(toasts.find((t) => t.startsWith('Server unreachable'))).toMatch(new RegExp(`^Server unreachable: ${SERVER} is unreachable`));
    expect(toasts.filter((t) => t.startsWith('Disk almost full'))).toEqual([expect.stringMatching(new RegExp(`^Disk almost full: ${SERVER}: disk / is \\d+ % full$`))]);
    expect(errors).toEqual([]);
  });
});
