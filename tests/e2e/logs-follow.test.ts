import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUSYBOX_TAG, Testbed, type TestServer } from '../testbed/index.ts';
import { startTestApp, waitFor, type TestApp } from '../helpers/app.ts';
import { docScreenshot, launchBrowser } from '../helpers/browser.ts';
import { openAppForScan, seriousViolations } from '../helpers/a11y.ts';
import { addServer } from '../helpers/servers.ts';

/** The rendered log rows in order: [kind (out | err | restart), text]. */
async function rows(page: Page): Promise<[string, string][]> {
  return page.locator('.log-row').evaluateAll((els) =>
    els
      .map((e) => [Number(e.getAttribute('data-seq')), e.querySelector('.log-line')?.getAttribute('data-stream') ?? '', e.querySelector('.log-text')?.textContent ?? ''] as const)
      .sort((x, y) => x[0] - y[0])
      .map(([, kind, text]) => [kind, text] as [string, string]),
  );
}

/** Logs as users live with them: a crash-looping container followed across restarts, filters, several servers. */
describe('logs: restarts, only matching, search from the newest, several servers (Chromium, real test servers)', () => {
  let bed: Testbed;
  let x: TestServer;
  let y: TestServer;
  let app: TestApp;
  let browser: Browser;
  let idX: string;

  beforeAll(async () => {
    bed = await Testbed.create({ prefix: 'e2elgx' });
    const servers = await bed.addServers([
      { name: 'lgx-x', images: ['busybox'] },
      { name: 'lgx-y', images: ['busybox'] },
    ]);
    x = servers[0]!;
    y = servers[1]!;
    app = await startTestApp();
    idX = (await addServer(app.client, x, { name: 'lgx-x' })).id;
    await addServer(app.client, y, { name: 'lgx-y' });
    browser = await launchBrowser();
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await bed?.teardown();
  });

  async function open(hash: string): Promise<{ page: Page; errors: string[] }> {
    const opened = await openAppForScan(browser, app.server.url);
    await opened.page.evaluate((h) => (window.location.hash = h), hash);
    return opened;
  }

  it('follows a crash-looping container across restarts, marking each restart, without repeating lines', async () => {
    // Each run prints a unique id, three ticks, then fails; the restart policy starts it again.
    const run = 'id=$(cat /proc/sys/kernel/random/uuid); echo "run $id"; for i in 1 2 3; do echo "tick $i of $id"; sleep 1; done; echo "boom $id" >&2; exit 3';
    await x.exec(['docker', 'run', '-d', '--name', 'crashloop', '--restart', 'always', BUSYBOX_TAG, 'sh', '-c', run], { check: true });
    const restartCount = async () => Number((await x.exec(['docker', 'inspect', '-f', '{{.RestartCount}}', 'crashloop'], { check: true })).stdout.trim());
    const before = await restartCount();
    const { page, errors } = await open(`#/logs?server=${idX}&containers=crashloop&tail=all`);
    await page.waitForSelector('[data-testid="log-status"]:text("live")', { timeout: 30_000 });
    // At least two restarts while the page follows: two markers, each followed by the new run's first line.
    await page.locator('[data-testid="log-restarts"]', { hasText: /restarted [2-9]×/ }).waitFor({ timeout: 90_000 });
    const after = await restartCount();
    expect(after - before).toBeGreaterThanOrEqual(2);
    await waitFor(async () => {
      const r = await rows(page);
      const last = r.map((l) => l[0]).lastIndexOf('restart');
      return last >= 0 && r[last + 1]?.[1].startsWith('run ') ? r : null;
    }, 'the line after the last restart marker', 20_000, 200);
    const seen = await rows(page);
    const markers = seen.flatMap((l, i) => (l[0] === 'restart' ? [i] : []));
    expect(markers.length).toBeGreaterThanOrEqual(2);
    for (const i of markers) {
      expect(seen[i]![1]).toBe('↻ crashloop restarted');
      // The run that died before the marker printed its failure; the one after starts with its id.
      expect(seen[i - 1]).toEqual(['err', expect.stringMatching(/^boom /)]);
      expect(seen[i + 1]?.[1] ?? '').toMatch(/^run [0-9a-f-]{36}$/);
    }
    // Re-attaching with `since` repeats nothing: every run id is printed once.
    const runs = seen.filter((l) => l[1].startsWith('run ')).map((l) => l[1]);
    expect(new Set(runs).size).toBe(runs.length);
    expect(await page.innerText('[data-testid="log-status"]')).toBe('live');
    await docScreenshot(page, 'logs-restarts');
    expect(await seriousViolations(page)).toEqual([]);
    expect(errors).toEqual([]);
    await x.exec(['docker', 'rm', '-f', 'crashloop'], { check: true });
    await page.close();
  }, 180_000);

  it('search starts from the newest match; "only matching" shows just the matching lines', async () => {
    await x.exec(['docker', 'run', '-d', '--name', 'chatty', BUSYBOX_TAG, 'sh', '-c', 'for i in $(seq 1 60); do echo "info $i"; if [ $((i % 10)) -eq 0 ]; then echo "ERROR number $i"; fi; done; sleep 100000'], { check: true });
    const { page, errors } = await open(`#/logs?server=${idX}&containers=chatty&tail=all`);
    await page.waitForFunction(() => Number(document.querySelector('[data-testid="log-count"]')?.getAttribute('data-received')) >= 66, undefined, { timeout: 30_000 });
    await page.fill('input[aria-label="Search logs"]', 'error number');
    await page.press('input[aria-label="Search logs"]', 'Enter');
    await page.locator('.log-current', { hasText: 'ERROR number 60' }).waitFor({ timeout: 10_000 });
    expect(await page.innerText('[data-testid="log-matches"]')).toBe('6/6');
    await page.press('input[aria-label="Search logs"]', 'Enter');
    await page.locator('.log-current', { hasText: 'ERROR number 50' }).waitFor({ timeout: 10_000 });
    expect(await page.innerText('[data-testid="log-matches"]')).toBe('5/6');
    await page.press('input[aria-label="Search logs"]', 'Shift+Enter');
    await page.locator('.log-current', { hasText: 'ERROR number 60' }).waitFor({ timeout: 10_000 });

    expect((await rows(page)).length).toBeGreaterThan(6);
    await page.click('[data-testid="log-only-matching"]');
    expect(await page.getAttribute('[data-testid="log-only-matching"]', 'aria-pressed')).toBe('true');
    await waitFor(async () => (await rows(page)).length === 6, 'six matching rows', 10_000, 100);
    expect((await rows(page)).map((r) => r[1])).toEqual([10, 20, 30, 40, 50, 60].map((n) => `ERROR number ${n}`));
    expect(await page.locator('.log-current').innerText()).toContain('ERROR number 60');
    await page.click('[data-testid="log-only-matching"]');
    await waitFor(async () => (await rows(page)).length > 6, 'all rows again', 10_000, 100);
    expect(errors).toEqual([]);
    await page.close();
  }, 120_000);

  it('the picker takes containers of two servers; the merged view labels each line server/container', async () => {
    const script = (who: string) => `for i in $(seq 1 20); do echo "${who} says $i"; sleep 0.05; done; sleep 100000`;
    await Promise.all([
      x.exec(['docker', 'run', '-d', '--name', 'alpha', BUSYBOX_TAG, 'sh', '-c', script('alpha')], { check: true }),
      y.exec(['docker', 'run', '-d', '--name', 'beta', BUSYBOX_TAG, 'sh', '-c', script('beta')], { check: true }),
    ]);
    const { page, errors } = await open('#/logs');
    await page.check('fieldset[data-server="lgx-x"] input[data-container="alpha"]', { timeout: 30_000 });
    await page.check('fieldset[data-server="lgx-y"] input[data-container="beta"]', { timeout: 30_000 });
    await page.fill('#logs-tail', 'all');
    expect(await seriousViolations(page)).toEqual([]);
    await page.click('text=Show logs (2)');
    await page.waitForFunction(() => Number(document.querySelector('[data-testid="log-count"]')?.getAttribute('data-received')) >= 40, undefined, { timeout: 30_000 });
    expect(await page.locator('.logs-legend .log-tag').allInnerTexts()).toEqual(['lgx-x/alpha', 'lgx-y/beta']);
    const tagged = await page.locator('.log-row .log-line').evaluateAll((els) => els.map((e) => [e.querySelector('.log-tag')?.textContent ?? '', e.querySelector('.log-text')?.textContent ?? '']));
    expect(tagged.length).toBeGreaterThanOrEqual(20);
    for (const [tag, text] of tagged) expect(tag).toBe(text!.startsWith('alpha') ? 'lgx-x/alpha' : 'lgx-y/beta');
    expect(new Set(tagged.map((t) => t[0]))).toEqual(new Set(['lgx-x/alpha', 'lgx-y/beta']));
    expect(await page.innerText('.logs-title')).toBe('lgx-x/alpha, lgx-y/beta');
    await docScreenshot(page, 'logs-servers');
    expect(await seriousViolations(page)).toEqual([]);
    expect(errors).toEqual([]);
    await page.close();
  }, 120_000);
});
