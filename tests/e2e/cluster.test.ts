import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Testbed, type TestServer } from '../testbed/index.ts';
import { docScreenshot } from '../helpers/browser.ts';
import { openAppForScan, seriousViolations, seriousViolationsInBothThemes } from '../helpers/a11y.ts';
import { launchBrowser } from '../helpers/browser.ts';
import { addServer } from '../helpers/servers.ts';
import { startWebProcess, type WebProcess } from '../helpers/web-process.ts';

/** Inside the bed's /16, clear of its links and Docker ranges (see tests/integration/cluster.test.ts). */
const POOL = '10.231.240.0/20';

describe('clusters in Chromium: create a swarm of three, see nodes and quorum, drain one', () => {
  let bed: Testbed;
  let servers: TestServer[];
  let web: WebProcess;
  let browser: Browser;
  let page: Page;
  let errors: string[];

  beforeAll(async () => {
    bed = await Testbed.create({ prefix: 'e2eclu' });
    servers = await bed.addServers([{ name: 'a' }, { name: 'b' }, { name: 'c' }]);
    web = await startWebProcess();
    const { client, close } = await web.client();
    for (const s of servers) await addServer(client, s, { name: s.name });
    close();
    browser = await launchBrowser();
    ({ page, errors } = await openAppForScan(browser, web.url, { width: 1400, height: 900 }));
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await web?.stop();
    await bed?.teardown();
  });

  const row = (name: string) => page.locator(`[data-testid="cluster-nodes"] tr[data-node="${name}"]`);

  it('creates the cluster from the form and shows nodes with their roles and the quorum', async () => {
    await page.click('[data-nav="cluster"]');
    expect(await page.locator('[data-testid="empty-state"]').innerText()).toMatch(/No clusters yet\./);
    await page.click('[data-testid="empty-state"] button:has-text("Create cluster")');
    const dialog = page.locator('[data-testid="create-cluster"]');
    await dialog.waitFor();
    await page.fill('input[aria-label="Cluster name"]', 'prod');
    for (const name of ['a', 'b', 'c']) await page.check(`input[aria-label="Include ${name}"]`);
    // The addresses were read from the servers: the one the app connects to is suggested.
    await page.waitForFunction((host) => document.querySelector<HTMLInputElement>('input[aria-label="Advertise address of a"]')?.placeholder === host, servers[0]?.host, { timeout: 30_000 });
    expect(await page.inputValue('select[aria-label="Role of a"]')).toBe('manager');
    expect(await page.inputValue('select[aria-label="Role of b"]')).toBe('worker');
    await page.fill('input[aria-label="Address pool"]', POOL);
    expect(await seriousViolations(page)).toEqual([]);
    await page.click('[data-testid="create-cluster"] button:has-text("Create cluster")');
    await page.locator('[data-testid="cluster-detail"]').waitFor({ timeout: 90_000 });
    await row('c').waitFor({ timeout: 30_000 });
    for (const [name, role] of [['a', 'manager'], ['b', 'worker'], ['c', 'worker']] as const) {
      expect(await row(name).locator('[data-field="role"]').innerText()).toContain(role);
      expect(await row(name).locator('[data-field="status"]').innerText()).toContain('ready');
    }
    const quorum = await page.locator('[data-testid="quorum"]').innerText();
    expect(quorum).toContain('1 of 1 managers reachable; 1 needed for changes; tolerates 0 lost.');
    expect(quorum).toMatch(/One manager: if it is lost/);
    // The engines agree: a leads a swarm of three.
    const ls = await servers[0]!.exec(['docker', 'node', 'ls', '--format', '{{.Hostname}}'], { check: true });
    expect(ls.stdout.trim().split('\n').sort()).toEqual(['a', 'b', 'c']);
  }, 180_000);

  it('drains a node and activates it again', async () => {
    await page.click('button[aria-label="Drain c"]');
    await page.locator('button[aria-label="Activate c"]').waitFor({ timeout: 30_000 });
    expect(await row('c').locator('[data-field="availability"]').innerText()).toBe('drain');
    expect((await servers[0]!.exec(['docker', 'node', 'inspect', 'c', '--format', '{{.Spec.Availability}}'], { check: true })).stdout.trim()).toBe('drain');
    const found = await seriousViolationsInBothThemes(page);
    expect(found).toEqual({ light: [], dark: [] });
    await docScreenshot(page, 'cluster');
    await page.click('button[aria-label="Activate c"]');
    await page.locator('button[aria-label="Drain c"]').waitFor({ timeout: 30_000 });
    expect((await servers[0]!.exec(['docker', 'node', 'inspect', 'c', '--format', '{{.Spec.Availability}}'], { check: true })).stdout.trim()).toBe('active');
  }, 120_000);

  it('the dashboard shows the cluster card', async () => {
    await page.click('[data-nav="servers"]');
    const card = page.locator('[data-testid="cluster-cards"] [data-cluster="prod"]');
    await page.waitForFunction(() => /3 of 3 nodes ready/.test(document.querySelector('[data-cluster="prod"]')?.textContent ?? ''), null, { timeout: 30_000 });
    expect(await card.innerText()).toMatch(/3 of 3 nodes ready · 1\/1 managers/);
    // Chromium aborts a request in flight when an interface appears on this machine (other test beds' veths).
    expect(errors.filter((e) => !e.includes('net::ERR_NETWORK_CHANGED'))).toEqual([]);
  }, 60_000);
});
