import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openAppForScan, seriousViolationsInBothThemes } from '../helpers/a11y.ts';
import { docScreenshot } from '../helpers/browser.ts';
import { loadShipImages } from '../integration/deploy-fixture.ts';
import { startShipE2E, type ShipE2E } from './ship-fixture.ts';

// The app page shows what runs (not only what was built) and acts on the app's live container across deploys:
// runtime state, the live release in the history, a failed build while v1 serves, logs that follow a redeploy,
// restart, stop/start and a shell — each checked against the server's Docker as well.
const DOMAIN = 'e2erun.test';
const dockerfile = 'FROM busybox:latest\nCOPY index.html /www/index.html\nCMD ["sh", "-c", "echo started $(cat /www/index.html); trap \'exit 0\' TERM; httpd -f -p 8080 -h /www & wait"]\n';

describe('app runtime in Chromium: live state, live release, app logs, restart, stop/start, shell', () => {
  let t: ShipE2E;
  let page: Page;
  let errors: string[];

  const text = (testId: string) => page.innerText(`[data-testid="${testId}"]`);
  const deployAndWait = async (status: 'succeeded' | 'failed') => {
    const before = (await page.$$('[data-testid="history-row"]')).length;
    await page.click('[data-testid="deploy-button"]');
    await page.waitForFunction((n) => document.querySelectorAll('[data-testid="history-row"]').length > n, before, { timeout: 30_000 });
    await page.waitForSelector(`[data-testid="deploy-status"]:has-text("${status}")`, { timeout: 120_000 });
  };
  const docker = async (id: string, format: string) => (await t.s.exec(['docker', 'inspect', '-f', format, id], { check: true })).stdout.trim();
  const confirm = async (label: string) => {
    const dialog = page.locator('[data-testid="confirm-dialog"]');
    await dialog.waitFor();
    await dialog.locator(`button:has-text("${label}")`).click();
  };

  beforeAll(async () => {
    t = await startShipE2E({
      prefix: 'e2erun',
      server: 'run-ship',
      images: loadShipImages,
      files: { 'Dockerfile': dockerfile, 'index.html': 'v1\n' },
      domains: [DOMAIN],
      prepare: async (client, serverId, repo) => {
        await client.apps.create({ name: 'runner', serverId, source: { kind: 'git', url: repo.url, branch: 'main' }, port: 8080, domains: [{ host: DOMAIN, tls: false }] });
      },
    });
    ({ page, errors } = await openAppForScan(t.browser, t.web.url, { width: 1280, height: 1000 }));
    await page.click('[data-nav="apps"]');
    await page.waitForSelector('[data-testid="deploy-button"]');
  }, 240_000);
  afterAll(async () => {
    await t?.close();
  });

  it('shows v1 running and healthy, live since its deploy, the URL answering; history marks it live with its commit subject', async () => {
    await page.waitForSelector('[data-testid="runtime-state"]:has-text("not running")');
    await deployAndWait('succeeded');
    const v1 = await page.getAttribute('[data-testid="history-row"]', 'data-deploy');
    await page.waitForSelector('[data-testid="runtime-state"]:has-text("running, healthy")', { timeout: 30_000 });
    expect(await text('runtime-live')).toMatch(new RegExp(`live: deploy ${v1} \\([0-9a-f]{10} first\\) since `));
    expect(await text('runtime-routes')).toContain(`http://${DOMAIN} answers 200`);
    const live = page.locator(`[data-testid="history-row"][data-deploy="${v1}"]`);
    expect(await live.getAttribute('data-live')).toBe('true');
    expect(await live.locator('[data-testid="history-commit"]').innerText()).toMatch(/^[0-9a-f]{10} first$/);
    expect(await live.locator('[data-testid="history-rollback"]').count()).toBe(0);
    const id = await page.getAttribute('[data-testid="runtime-container"]', 'data-id');
    expect(await docker(id!, '{{.State.Status}} {{index .Config.Labels "openpanel.deploy"}}')).toBe(`running ${v1}`);
    await docScreenshot(page, 'app-runtime');
    expect(await seriousViolationsInBothThemes(page)).toEqual({ light: [], dark: [] });
  }, 240_000);

  it('a broken build says it failed to build while v1 still serves', async () => {
    const v1 = await page.getAttribute('[data-testid="history-row"][data-live="true"]', 'data-deploy');
    t.repo.commit({ 'Dockerfile': 'FROM busybox:latest\nRUN exit 3\n' }, 'broken build');
    await deployAndWait('failed');
    const note = await page.waitForSelector('[data-testid="runtime-failed-note"]', { timeout: 30_000 });
    expect(await note.innerText()).toMatch(new RegExp(`failed to build — deploy ${v1} .* is still serving since `));
    expect(await page.getAttribute('[data-testid="history-row"][data-live="true"]', 'data-deploy')).toBe(v1);
    expect(await text('runtime-state')).toContain('running, healthy');
  }, 240_000);

  it('app logs keep following after a redeploy: v2 prints a line that appears without picking anything', async () => {
    await page.click('[data-testid="app-logs-toggle"]');
    await page.waitForSelector('[data-testid="app-logs-text"]:has-text("started v1")', { timeout: 30_000 });
    const before = await text('app-logs-status');
    t.repo.commit({ 'Dockerfile': dockerfile, 'index.html': 'v2\n' }, 'second version');
    await deployAndWait('succeeded');
    await page.waitForSelector('[data-testid="app-logs-text"]:has-text("started v2")', { timeout: 60_000 });
    const after = await text('app-logs-status');
    expect(after).not.toBe(before); // another container's name: the stream switched by itself
    expect(after).toMatch(/^live · op-runner-d/);
    await page.waitForSelector('[data-testid="history-row"][data-live="true"] [data-testid="history-commit"]:has-text("second version")', { timeout: 30_000 });
    // the old live release can now be rolled back to
    expect(await page.locator('[data-testid="history-row"]:not([data-live]) [data-testid="history-rollback"]').count()).toBeGreaterThan(0);
  }, 240_000);

  it('restart changes StartedAt; stop leaves it stopped; start runs it again', async () => {
    const id = (await page.getAttribute('[data-testid="runtime-container"]', 'data-id'))!;
    const started = await docker(id, '{{.State.StartedAt}}');
    await page.click('[data-testid="app-restart"]');
    await confirm('Restart');
    await page.waitForFunction((s) => document.querySelector('[data-testid="runtime-container"]')?.getAttribute('data-started') !== s, await page.getAttribute('[data-testid="runtime-container"]', 'data-started'), { timeout: 60_000 });
    expect(await docker(id, '{{.State.StartedAt}}')).not.toBe(started);

    await page.click('[data-testid="app-stop"]');
    await confirm('Stop');
    await page.waitForSelector('[data-testid="runtime-state"]:has-text("stopped")', { timeout: 60_000 });
    expect(await docker(id, '{{.State.Status}}')).toBe('exited');

    await page.click('[data-testid="app-start"]');
    await page.waitForSelector('[data-testid="runtime-state"]:has-text("running")', { timeout: 60_000 });
    expect(await docker(id, '{{.State.Status}}')).toBe('running');
  }, 240_000);

  it('shell opens in the live container: hostname prints its id prefix', async () => {
    const id = (await page.getAttribute('[data-testid="runtime-container"]', 'data-id'))!;
    await page.click('[data-testid="app-shell"]');
    await page.waitForSelector('[data-testid="terminal"][data-state="open"] .xterm-rows', { timeout: 30_000 });
    // a new terminal takes the focus: the keys go there
    await page.waitForFunction(() => document.activeElement?.classList.contains('xterm-helper-textarea'), undefined, { timeout: 10_000 });
    await page.keyboard.type('hostname');
    await page.keyboard.press('Enter');
    await page.waitForFunction((p) => (document.querySelector('[data-testid="terminal"] .xterm-rows')?.textContent ?? '').includes(p), id.slice(0, 12), { timeout: 20_000 });
    expect(errors).toEqual([]);
  }, 120_000);
});
