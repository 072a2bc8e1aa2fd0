import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUSYBOX_TAG, Testbed, type TestServer } from '../testbed/index.ts';
import { openAppForScan, seriousViolations, type A11yFinding } from '../helpers/a11y.ts';
import { waitFor } from '../helpers/app.ts';
import { launchBrowser } from '../helpers/browser.ts';
import { addServer } from '../helpers/servers.ts';
import { startWebProcess, type WebProcess } from '../helpers/web-process.ts';

const STREAM_GRACE_MS = 1500;
const QUIET_MS = 300;

/**
 * The RPC calls a page made over its WebSocket since `mark()`: `settled()` once every call was answered (a stream
 * once it sent its first event, or after STREAM_GRACE_MS without one) and nothing changed for QUIET_MS.
 */
function trackRpc(page: Page) {
  type Call = { url: string; sentAt: number; stream: boolean };
  const open = new Map<string, Call>();
  let since = Date.now();
  let changedAt = Date.now();
  const parse = (payload: string | Buffer): { i?: number; t?: number; p?: { u?: string; h?: Record<string, string> } } | null => {
    try {
      return JSON.parse(typeof payload === 'string' ? payload : payload.toString('utf8')) as never;
    } catch {
      return null;
    }
  };
  page.on('websocket', (ws) => {
    const key = (id: number | undefined) => `${ws.url()}#${String(id)}`;
    ws.on('framesent', ({ payload }) => {
      const m = parse(payload);
      if (m?.t === undefined && m?.p?.u) {
        open.set(key(m.i), { url: m.p.u, sentAt: Date.now(), stream: false });
        changedAt = Date.now();
      }
    });
    ws.on('framereceived', ({ payload }) => {
      const m = parse(payload);
      const call = m ? open.get(key(m.i)) : undefined;
      if (!m || !call) return;
      if (m.t === undefined && m.p?.h?.['content-type'] === 'text/event-stream') call.stream = true;
      else open.delete(key(m.i));
      changedAt = Date.now();
    });
  });
  return {
    mark: () => {
      since = Date.now();
      changedAt = since;
    },
    /** True once settled; otherwise throws naming the calls still waited for (waitFor reports the last one). */
    settled: () => {
      const now = Date.now();
      const waiting = [...open.values()].filter((c) => c.sentAt >= since && !(c.stream && now - c.sentAt > STREAM_GRACE_MS));
      if (waiting.length > 0) throw new Error(`waiting for ${waiting.map((c) => c.url).join(', ')}`);
      return now - changedAt > QUIET_MS;
    },
  };
}

describe('accessibility scan with axe-core (Chromium, web mode, real server)', () => {
  let bed: Testbed;
  let s: TestServer;
  let web: WebProcess;
  let browser: Browser;
  let serverId: string;

  beforeAll(async () => {
    bed = await Testbed.create({ prefix: 'e2ea11y' });
    s = await bed.addServer({ name: 'a11y', images: ['busybox'] });
    [web, browser] = await Promise.all([
      startWebProcess(),
      launchBrowser(),
      s.exec(['docker', 'run', '-d', '--name', 'web', BUSYBOX_TAG, 'sh', '-c', 'while :; do echo "line $(date +%s)"; sleep 1; done'], { check: true }),
    ]);
    const { client, close } = await web.client();
    serverId = (await addServer(client, s, { name: 'a11y-1' })).id;
    close();
  });
  afterAll(async () => {
    await browser?.close();
    await web?.stop();
    await bed?.teardown();
  });

  it('positive controls: an unlabeled button and unreadable text injected into the page are reported', async () => {
    const { page } = await openAppForScan(browser, web.url);
    await page.evaluate(() => {
      const b = document.createElement('button');
      b.id = 'axe-control-button';
      document.querySelector('main')!.append(b);
      const p = document.createElement('p');
      p.id = 'axe-control-contrast';
      p.textContent = 'barely visible';
      p.style.cssText = 'color: #777; background: #888;';
      document.querySelector('main')!.append(p);
    });
    const findings = await seriousViolations(page);
    expect(findings.find((f) => f.rule === 'button-name')?.targets).toContain('#axe-control-button');
    expect(findings.find((f) => f.rule === 'color-contrast')?.targets).toContain('#axe-control-contrast');
  });

  const ROUTES = ['servers', 'servers/$id', 'containers', 'logs', 'terminals', 'apps', 'databases', 'backups', 'assistant', 'activity', 'settings'];

  for (const theme of ['light', 'dark'] as const) {
    it(`main pages, a dialog, the palette, a drawer and a confirmation have no serious violations (${theme} theme)`, async () => {
      const { page, errors } = await openAppForScan(browser, web.url);
      // Tracked from a fresh load: the page's WebSocket opens again, seen from its start.
      const rpc = trackRpc(page);
      await page.reload();
      await page.waitForSelector('nav[aria-label="Main"]');
      const current = await page.evaluate(() => document.documentElement.dataset.theme);
      if (current !== theme) await page.click('[data-testid="theme-toggle"]');
      await page.waitForFunction((t) => document.documentElement.dataset.theme === t, theme);
      const base = web.url.replace(/#.*/, '');
      const report: Record<string, A11yFinding[]> = {};
      for (const route of ROUTES) {
        rpc.mark();
        await page.goto(`${base}#/${route.replace('$id', serverId)}`);
        await page.waitForSelector(`main[data-page="${route.split('/')[0]}"]`);
        // Let the page's first data arrive (lists, facts), so the scan sees it filled in, not only its loading state.
        await page.waitForLoadState('networkidle').catch(() => undefined);
        await waitFor(() => rpc.settled(), `the first data of ${route}`, 30_000, 50);
        report[route] = await seriousViolations(page);
      }
      await page.goto(`${base}#/servers`);
      await page.click('button:has-text("Add server")');
      await page.waitForSelector('[role="dialog"][aria-label="Add server"]');
      report['add-server dialog'] = await seriousViolations(page);
      await page.keyboard.press('Escape');
      await page.click('[data-testid="palette-open"]');
      await page.waitForSelector('[data-testid="palette"] [cmdk-item]');
      await page.keyboard.type('web');
      await page.waitForSelector('[data-testid="palette"] [data-command^="container-"]', { timeout: 20_000 });
      report.palette = await seriousViolations(page);
      await page.keyboard.press('Escape');
      await page.goto(`${base}#/containers`);
      await page.click('tr[data-container="web"] [data-testid="inspect-open"]', { timeout: 30_000 });
      await page.waitForSelector('[data-testid="inspect"] [data-env]', { timeout: 20_000 }).catch(() => undefined);
      await page.waitForSelector('[data-testid="inspect"]');
      report['inspect drawer'] = await seriousViolations(page);
      await page.keyboard.press('Escape');
      await page.click('tr[data-container="web"] button:has-text("Remove")');
      await page.waitForSelector('[data-testid="confirm-dialog"]');
      report['confirm dialog'] = await seriousViolations(page);
      await page.keyboard.press('Escape');
      const failing = Object.fromEntries(Object.entries(report).filter(([, f]) => f.length > 0));
      expect(failing).toEqual({});
      // The scans covered what they claim: every route and overlay was scanned.
      expect(Object.keys(report)).toHaveLength(ROUTES.length + 4);
      expect(errors).toEqual([]);
    });
  }
});
