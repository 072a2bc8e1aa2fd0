import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openAppForScan, seriousViolationsInBothThemes } from '../helpers/a11y.ts';
import { docScreenshot } from '../helpers/browser.ts';
import { loadShipImages, SAMPLE_DOCKERFILE } from '../integration/deploy-fixture.ts';
import { startShipE2E, type ShipE2E } from './ship-fixture.ts';

// The palette finds an app by name and deploys it through the app page's own Deploy action, after the confirm
// dialog; the deploy really runs on the server.
describe('palette: deploy an app found by name (Chromium, real server, real proxy)', () => {
  let t: ShipE2E;
  let appId: string;

  beforeAll(async () => {
    t = await startShipE2E({
      prefix: 'e2epal',
      server: 'pal-ship',
      images: loadShipImages,
      files: { 'Dockerfile': SAMPLE_DOCKERFILE, 'index.html': '<h1>palette</h1>\n' },
      prepare: async (client, serverId, repo) => {
        appId = (await client.apps.create({ name: 'paletteapp', serverId, source: { kind: 'git', url: repo.url, branch: 'main' }, port: 8080, domains: [{ host: 'paletteapp.e2e.test', tls: false }] })).id;
      },
    });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('asks first; Deploy runs the deploy shown on the app page, and it succeeds on the server', async () => {
    const { page, errors } = await openAppForScan(t.browser, t.web.url);
    await page.click('[data-testid="palette-open"]');
    await page.keyboard.type('deploy paletteapp');
    await docScreenshot(page, 'palette');
    const item = page.locator(`[data-testid="palette"] [cmdk-item][aria-selected="true"][data-command="app-deploy-${appId}"]`);
    await item.waitFor({ timeout: 20_000 });
    expect(await item.innerText()).toContain('Deploy app paletteapp on pal-ship');
    await page.keyboard.press('Enter');
    const dialog = page.locator('[data-testid="confirm-dialog"]');
    await dialog.waitFor();
    expect(await dialog.innerText()).toContain('Deploy paletteapp on pal-ship?');
    const { client, close } = await t.web.client();
    try {
      // Nothing started before the answer.
      expect(await client.apps.deploys({ id: appId, limit: 5 })).toHaveLength(0);
      await dialog.locator('button:has-text("Deploy")').click();
      // The app page shows the app and the deploy it started (its own panel and progress).
      await page.waitForSelector('main[data-page="apps"] [data-testid="deploy-panel"]');
      expect(await page.locator('[data-testid="apps-list"] button.selected').innerText()).toContain('paletteapp');
      await page.waitForSelector('[data-testid="deploy-status"]:text-matches("running|queued|succeeded")', { timeout: 30_000 });
      await page.waitForSelector('[data-testid="deploy-status"]:text("succeeded")', { timeout: 180_000 });
      const deploys = await client.apps.deploys({ id: appId, limit: 5 });
      expect(deploys).toHaveLength(1);
      expect(deploys[0]).toMatchObject({ status: 'succeeded', kind: 'deploy' });
      // The app page with an app, its deploy and history: no serious accessibility violation in either theme.
      expect(await seriousViolationsInBothThemes(page)).toEqual({ light: [], dark: [] });
    } finally {
      close();
    }
    expect(errors).toEqual([]);
  });
});
