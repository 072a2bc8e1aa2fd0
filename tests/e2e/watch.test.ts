import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ContractRouterClient } from '@orpc/contract';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Contract } from '../../src/shared/contract/index.ts';
import { BUSYBOX_TAG, Testbed, type TestServer } from '../testbed/index.ts';
import { openAppForScan, seriousViolations, seriousViolationsInBothThemes } from '../helpers/a11y.ts';
import { startHttpReceivers, type TestHttpReceivers } from '../helpers/alert-receivers.ts';
import { waitFor } from '../helpers/app.ts';
import { docScreenshot, launchBrowser } from '../helpers/browser.ts';
import { addServer } from '../helpers/servers.ts';
import { loadWatchImages, watchImageMapping } from '../helpers/watch-standins.ts';
import { startWebProcess, type WebProcess } from '../helpers/web-process.ts';

const SERVER = 'watch-1';
const TEXTFILE_VOLUME = 'openpanel-watch-textfile';

/**
 * Watch in Chromium against `openpanel web` and one real test server running the stand-in stack: turn it on, a
 * channel that receives a test, an alert with its history, a mute, and what happened while the web process was
 * stopped (the "while you were away" list and charts with points from that time).
 */
describe('Watch in Chromium (web mode, real test server)', () => {
  let bed: Testbed;
  let s: TestServer;
  let receivers: TestHttpReceivers;
  let dataDir: string;
  let web: WebProcess;
  let client: ContractRouterClient<Contract>;
  let closeClient: () => void;
  let serverId: string;
  let browser: Browser;

  const connect = async () => {
    const c = await web.client();
    client = c.client;
    closeClient = c.close;
  };

  beforeAll(async () => {
    bed = await Testbed.create({ prefix: 'e2ewtch' });
    s = await bed.addServer({ name: SERVER, images: ['busybox'] });
    dataDir = mkdtempSync(join(tmpdir(), 'openpanel-e2e-watch-'));
    let builder: string;
    [builder, receivers, web, browser] = await Promise.all([
      loadWatchImages(s).then(() => s.loadImage('debian', { packages: ['git', 'docker.io'], tag: 'openpanel-test/builder:latest' })),
      startHttpReceivers(bed),
      startWebProcess({ dataDir }),
      launchBrowser(),
    ]);
    await connect();
    await client.settings.update({ sampleIntervalSec: 2, notifications: true });
    serverId = (await addServer(client, s, { name: SERVER })).id;
    await client.proxy.updateSettings({ serverId, settings: { imageOverrides: { prefix: null, images: { ...watchImageMapping(), 'docker:27-cli': builder } } } });
    // Short intervals: the shipped 10 s scrape/evaluate and 60 s `for:` would make every step here slow.
    await client.watch.setSettings({ serverId, patch: { intervals: { scrapeSeconds: 2, evaluateSeconds: 2, collectorSeconds: 2 }, thresholds: { pendingSeconds: 0 } } });
    await client.alerting.updateSettings({ groupWaitSeconds: 1, groupIntervalSeconds: 2 });
  }, 600_000);
  afterAll(async () => {
    closeClient?.();
    await browser?.close();
    await web?.stop();
    await receivers?.close();
    await bed?.teardown();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  /** Every toast the page showed (they go away after 8 s), as `title: detail`, recorded as it is added. */
  const recordToasts = (page: Page) =>
    page.evaluate(() => {
      const w = window as unknown as { __toasts: string[] };
      w.__toasts = [];
      const text = (el: Element) => `${el.querySelector('strong')?.textContent ?? ''}: ${el.querySelector('.detail')?.textContent ?? ''}`;
      new MutationObserver((records) => {
        for (const r of records) for (const n of r.addedNodes) if (n instanceof HTMLElement && n.classList.contains('toast')) w.__toasts.push(text(n));
      }).observe(document.body, { childList: true, subtree: true });
    });
  const toasts = (page: Page) => page.evaluate(() => (window as unknown as { __toasts: string[] }).__toasts);

  /** A deploy result as the deploy job writes it into the textfile volume (.tmp then mv), read by node-exporter. */
  const writeDeployFailure = (appId: string, appName: string, reason: string) =>
    s.exec(['docker', 'run', '--rm', '-i', '-v', `${TEXTFILE_VOLUME}:/m`, BUSYBOX_TAG, 'sh', '-c', 'cat > "/m/deploy-$0.prom.tmp" && mv "/m/deploy-$0.prom.tmp" "/m/deploy-$0.prom"', appId], {
      input: `openpanel_deploy_last_success{app_id="${appId}",app_name="${appName}"} 0\nopenpanel_deploy_last_failure_info{app_id="${appId}",app_name="${appName}",reason="${reason}"} 1\n`,
      check: true,
    });
  /** Asks the server's Prometheus directly (on its loopback, inside the server's namespace). */
  const firing = async (appName: string) => {
    const r = await s.exec(['curl', '-sf', '--get', '--data-urlencode', `query=ALERTS{alertname="DeployFailed",alertstate="firing",app_name="${appName}"}`, 'http://127.0.0.1:9090/api/v1/query']);
    return r.code === 0 && (JSON.parse(r.stdout) as { data: { result: unknown[] } }).data.result.length > 0;
  };

  let page: Page;
  let errors: string[];

  /** Saves a disk threshold from the form and waits for the page to say it is saved (the stack re-synced). */
  const saveDiskThreshold = async (value: number) => {
    const saved = async () => (await toasts(page)).filter((t) => t.startsWith('Watch settings saved')).length;
    const before = await saved();
    await page.fill('[data-field="thresholds.diskPercent"]', String(value));
    await page.click('[data-testid="watch-settings-save"]');
    await waitFor(async () => (await saved()) > before, `the disk threshold ${value} saved`, 60_000, 100);
    expect((await client.watch.settings({ serverId })).thresholds.diskPercent).toBe(value);
  };

  it('turns Watch on from its page with progress, then shows its containers and their memory; no serious axe findings', async () => {
    ({ page, errors } = await openAppForScan(browser, web.url));
    await recordToasts(page);
    await page.click('[data-nav="watch"]');
    await page.locator('[data-testid="watch-state"][data-state="off"]').waitFor({ timeout: 30_000 });
    await page.locator('[data-testid="channels-empty"]').waitFor();
    await page.click('[data-testid="watch-turn-on"]');
    await page.locator('[data-testid="watch-progress"]').waitFor({ timeout: 10_000 });
    await page.locator('[data-testid="watch-progress-status"]', { hasText: 'succeeded' }).waitFor({ timeout: 240_000 });
    await page.locator('[data-testid="watch-state"][data-state="on"]').waitFor({ timeout: 30_000 });
    const parts = await page.locator('[data-testid="watch-containers"] tbody tr').evaluateAll((rows) => rows.map((r) => `${r.getAttribute('data-part')} ${r.children[2]?.textContent}`));
    expect(parts.sort()).toEqual(['alertmanager running', 'blackbox running', 'collector running', 'node-exporter running', 'prometheus running']);
    expect(await page.innerText('[data-testid="watch-memory"]')).toMatch(/^[1-9][\d.]* (KB|MB|GB)$/);
    // The server really runs them (the page did not just echo the request).
    const names = (await s.exec(['docker', 'ps', '--filter', 'label=openpanel.watch=1', '--format', '{{.Names}}'], { check: true })).stdout.trim().split('\n').sort();
    expect(names).toEqual(['openpanel-watch-alertmanager', 'openpanel-watch-blackbox', 'openpanel-watch-collector', 'openpanel-watch-node-exporter', 'openpanel-watch-prometheus']);
    expect(await seriousViolationsInBothThemes(page)).toEqual({ light: [], dark: [] });
  }, 300_000);

  it('thresholds: a value out of bounds is refused under its field, a good one is saved', async () => {
    await page.fill('[data-field="thresholds.diskPercent"]', '100');
    await page.click('[data-testid="watch-settings-save"]');
    await expect.poll(() => page.locator('#watch-thresholds-diskPercent-error').textContent(), { timeout: 15_000 }).toContain('expected percent from 1 to 99');
    expect((await client.watch.settings({ serverId })).thresholds.diskPercent).toBe(90);
    await saveDiskThreshold(95);
    // Only the field changed: the short `for:` set through the API stays.
    expect((await client.watch.settings({ serverId })).thresholds.pendingSeconds).toBe(0);
    await expect.poll(() => page.locator('#watch-thresholds-diskPercent-error').count(), { timeout: 15_000 }).toBe(0);
  }, 60_000);

  it('adds a webhook channel (its URL write-only), sends a test and it arrives', async () => {
    await page.click('[data-testid="channels-empty"] [data-testid="channel-add"]');
    const dialog = page.locator('[data-testid="channel-dialog"]');
    await dialog.waitFor();
    await dialog.locator('#channel-name').fill('ops hook');
    await dialog.locator('#channel-kind').selectOption('webhook');
    await dialog.locator('#channel-url').fill(receivers.urls.webhook);
    expect(await seriousViolations(page)).toEqual([]);
    await dialog.locator('[data-testid="channel-save"]').click();
    await dialog.waitFor({ state: 'detached', timeout: 30_000 });
    const row = page.locator('[data-channel="ops hook"]');
    await row.waitFor();
    expect(await row.innerText()).not.toContain('ntfy-topic-secret-77aa');
    await row.locator('button', { hasText: 'Edit' }).click();
    await dialog.waitFor();
    expect(await dialog.locator('#channel-url').inputValue()).toBe('');
    expect(await dialog.locator('#channel-url').getAttribute('placeholder')).toContain('stored');
    await dialog.locator('button', { hasText: 'Cancel' }).click();
    await dialog.waitFor({ state: 'detached' });

    const before = receivers.of('webhook').length;
    await row.locator('[data-testid="channel-test"]').click();
    const result = row.locator('[data-testid="channel-test-result"]');
    await expect.poll(() => result.innerText(), { timeout: 60_000 }).not.toBe('Sending…');
    expect(await result.innerText()).toMatch(/^Sent /);
    const alertName = /Sent (\S+) at/.exec(await result.innerText())?.[1];
    expect(alertName).toBeTruthy();
    await waitFor(() => receivers.of('webhook').slice(before).some((r) => r.body.includes(alertName!)), `test alert ${alertName} at the webhook`, 60_000, 250);

    // The receiver refuses: the channel shows as retrying or failing on this server, with the reason.
    receivers.webhookStatus = 500;
    const refusedFrom = receivers.of('webhook').length;
    await row.locator('[data-testid="channel-test"]').click();
    const state = row.locator('[data-testid="channel-state"] .badge');
    await waitFor(async () => ['retrying', 'failing'].includes((await state.getAttribute('data-state')) ?? ''), 'the channel shown as failing', 90_000, 500);
    expect(receivers.of('webhook').length).toBeGreaterThan(refusedFrom);
    expect(await row.locator('[data-testid="channel-state"]').innerText()).toMatch(/500/);
    receivers.webhookStatus = 200;
  }, 120_000);

  it('lowering the disk threshold fires an alert: a toast, listed now and in the history, delivered; muted for 1 h, listed, unmuted', async () => {
    await saveDiskThreshold(1);
    const diskAlert = page.locator('[data-testid="alerts-now"] [data-alert="DiskFull"]').first();
    await diskAlert.waitFor({ timeout: 90_000 });
    expect(await diskAlert.innerText()).toContain(`Server ${SERVER}: disk`);
    await waitFor(async () => (await toasts(page)).some((t) => t.startsWith('Disk almost full: ') && t.includes(`on ${SERVER} (disk`)), 'a toast for the full disk', 60_000, 250);
    await page.locator('[data-testid="alerts-history"] [data-alert="DiskFull"]').first().waitFor({ timeout: 60_000 });
    await waitFor(() => receivers.of('webhook').some((r) => r.body.includes('DiskFull') && r.body.includes(SERVER)), 'the alert at the webhook', 60_000, 250);

    const fingerprint = await diskAlert.getAttribute('data-fingerprint');
    await diskAlert.locator('[data-testid="alert-mute"]').click();
    await page.locator(`[data-testid="alerts-now"] [data-fingerprint="${fingerprint}"][data-state="suppressed"]`).waitFor({ timeout: 60_000 });
    const active = (await client.alerting.silences({ serverId })).filter((x) => x.state === 'active');
    expect(active.map((x) => x.matchers.find((m) => m.name === 'alertname')?.value)).toEqual(['DiskFull']);
    expect(active[0]!.endsAt - active[0]!.startsAt).toBeGreaterThan(59 * 60_000);
    expect(active[0]!.endsAt - active[0]!.startsAt).toBeLessThan(61 * 60_000);
    const muted = page.locator('[data-testid="silences"] li');
    await muted.first().waitFor({ timeout: 30_000 });
    expect(await muted.first().innerText()).toContain('Disk almost full');
    await docScreenshot(page, 'watch');
    await muted.first().locator('[data-testid="silence-unmute"]').click();
    await page.locator(`[data-testid="alerts-now"] [data-fingerprint="${fingerprint}"][data-state="active"]`).waitFor({ timeout: 60_000 });
    expect((await client.alerting.silences({ serverId })).filter((x) => x.state === 'active')).toEqual([]);

    // The threshold back up (its resolution, up to Alertmanager's endsAt, is tests/integration/watch.test.ts's).
    await saveDiskThreshold(90);
    expect(errors).toEqual([]);
  }, 300_000);

  it('after the web process was stopped: what fired meanwhile is listed once at the start, and the charts cover the stop', async () => {
    await page.close();
    closeClient();
    const stoppedAt = Date.now();
    await web.stop();
    await writeDeployFailure('e2ebill', 'billing', 'tests failed');
    await waitFor(() => firing('billing'), 'billing failing in Prometheus while OpenPanel is stopped', 90_000, 1_000);
    // Some more time with nothing of OpenPanel running, so the charts must have points only Prometheus has.
    await new Promise((r) => setTimeout(r, 10_000));
    const startedAt = Date.now();
    web = await startWebProcess({ dataDir });
    await connect();

    ({ page, errors } = await openAppForScan(browser, web.url));
    const away = page.locator('[data-testid="while-away"]');
    await away.waitFor({ timeout: 60_000 });
    const listed = await away.locator('[data-alert]').allInnerTexts();
    expect(listed.some((t) => t.includes('Deploy failed') && t.includes('billing'))).toBe(true);
    // The dialog is modal (the theme toggle is inert behind it): scanned in the current theme.
    expect(await seriousViolations(page)).toEqual([]);
    await docScreenshot(page, 'watch-away');
    await away.locator('[data-testid="while-away-dismiss"]').click();
    await away.waitFor({ state: 'detached' });
    // Dismissed = seen: the next start (a reload) does not list them again.
    await page.reload();
    await page.waitForSelector('nav[aria-label="Main"]');
    await page.locator('[data-testid="watch-alerts-looked"]:not([data-looks="0"])').waitFor({ state: 'attached', timeout: 60_000 });
    expect(await page.locator('[data-testid="while-away"]').count()).toBe(0);

    // The charts' history: points from while nothing of OpenPanel ran can only come from Prometheus.
    const history = await client.fleet.hostHistory({ serverId, range: '1h' });
    const inGap = history.filter((p) => p.at > stoppedAt + 2_000 && p.at < startedAt - 2_000);
    expect(inGap.length).toBeGreaterThan(0);
    expect(inGap.every((p) => p.memTotal > 0 && p.diskTotal > 0)).toBe(true);
    await page.goto(`${new URL(web.url).origin}/#/servers/${serverId}`);
    await page.locator('[data-testid="metrics-source"][data-source="watch"]').waitFor({ timeout: 30_000 });
    await page.locator('[data-testid="chart-CPU"] canvas').waitFor({ timeout: 30_000 });
    await page.locator('[data-testid="watch-summary-text"]', { hasText: /[1-9]\d* alerts? firing/ }).waitFor({ timeout: 30_000 });
    expect(errors).toEqual([]);
  }, 300_000);
});
