import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { docScreenshot, launchBrowser, openApp } from '../helpers/browser.ts';
import { startWebProcess, type WebProcess } from '../helpers/web-process.ts';

// Server records only (nothing listens on 127.0.0.1:1): the Activity page is about what was done, not about servers.
describe('Activity in human terms (Chromium, web mode)', () => {
  let web: WebProcess;
  let browser: Browser;
  let alpha: string;
  let beta: string;

  beforeAll(async () => {
    web = await startWebProcess();
    const { client, close } = await web.client();
    alpha = (await client.servers.create({ name: 'alpha', host: '127.0.0.1', port: 1, username: 'op', auth: { method: 'password', password: 'pw-alpha' } })).id;
    beta = (await client.servers.create({ name: 'beta', host: '127.0.0.1', port: 1, username: 'op', auth: { method: 'password', password: 'pw-beta' } })).id;
    await client.servers.update({ id: beta, name: 'beta-renamed' });
    await client.apps.create({ name: 'shop', serverId: alpha, source: { kind: 'git', url: 'https://git.example.test/shop.git', branch: 'main' }, port: 8080 });
    await expect(client.apps.create({ name: 'shop', serverId: alpha, source: { kind: 'git', url: 'https://git.example.test/shop.git', branch: 'main' }, port: 8080 })).rejects.toMatchObject({ code: 'CONFLICT' });
    close();
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await web?.stop();
  });

  it('says what happened with names, newest first, grouped by day, filtered by server, kind and result', async () => {
    const { page, errors } = await openApp(browser, web.url);
    await page.click('[data-nav="activity"]');
    const texts = page.locator('[data-testid="activity-text"]');
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="activity-text"]').length >= 5);
    const all = await texts.allInnerTexts();
    // Names, not ids; newest first; the renamed server under its current name.
    expect(all.slice(0, 5)).toEqual(['Created app shop on alpha', 'Created app shop on alpha', 'Edited server beta-renamed', 'Added server beta-renamed', 'Added server alpha']);
    expect(all.join('\n')).not.toMatch(/srv_[0-9a-f]{8}/);
    expect(await page.locator('tr.day-heading').first().textContent()).toBe('Today');
    expect(await page.locator('tr[data-action="apps.create"]').first().innerText()).toMatch(/failed: CONFLICT/);

    await page.selectOption('select[aria-label="Filter by server"]', beta);
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="activity-text"]').length === 2);
    expect(await texts.allInnerTexts()).toEqual(['Edited server beta-renamed', 'Added server beta-renamed']);

    await page.selectOption('select[aria-label="Filter by server"]', alpha);
    await page.selectOption('select[aria-label="Filter by kind"]', 'apps');
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="activity-text"]').length === 2);
    await page.check('text=Failed only');
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="activity-text"]').length === 1);

    // Live: a change made elsewhere appears without a reload, in words.
    await page.uncheck('text=Failed only');
    await page.selectOption('select[aria-label="Filter by kind"]', '');
    const { client, close } = await web.client();
    await client.servers.update({ id: alpha, name: 'alpha-2' });
    close();
    await page.waitForFunction(() => document.querySelector('[data-testid="activity-text"]')?.textContent === 'Edited server alpha-2');
    // The secret given at creation is in no row, not even in the details.
    expect(await page.locator('[data-testid="activity-table"]').innerHTML()).not.toContain('pw-alpha');
    await docScreenshot(page, 'activity');
    expect(errors).toEqual([]);
  });
});
