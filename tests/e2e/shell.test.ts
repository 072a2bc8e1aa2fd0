import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, screenshot, watchErrors } from '../helpers/browser.ts';
import { startWebProcess, type WebProcess } from '../helpers/web-process.ts';

const PAGES = ['servers', 'containers', 'logs', 'terminals', 'apps', 'databases', 'backups', 'assistant', 'activity', 'settings'] as const;

describe('app shell in Chromium (web mode)', () => {
  let web: WebProcess;
  let browser: Browser;
  beforeAll(async () => {
    web = await startWebProcess();
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await web?.stop();
  });

  it('navigates every page, toggles the theme, runs the command palette, and shows the audit row', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    const errors = watchErrors(page);
    await page.goto(web.url);
    await page.waitForSelector('nav[aria-label="Main"]');
    // The token left the address bar once read.
    expect(page.url()).not.toContain('token=');

    for (const id of PAGES) {
      await page.click(`[data-nav="${id}"]`);
      await page.waitForSelector(`main[data-page="${id}"] h1`);
      expect(await page.getAttribute(`[data-nav="${id}"]`, 'aria-current')).toBe('page');
      expect(page.url()).toContain(`#/${id}`);
    }

    const before = await page.getAttribute('html', 'data-theme');
    await page.click('[data-testid="theme-toggle"]');
    const expected = before === 'dark' ? 'light' : 'dark';
    await page.waitForFunction((t) => document.documentElement.dataset.theme === t, expected);

    // Command palette: Ctrl+K, filter, Enter runs the command.
    await page.keyboard.press('Control+k');
    // Its accessible name (Radix names the dialog by its title through aria-labelledby).
    await page.getByRole('dialog', { name: 'Command palette' }).waitFor();
    await page.keyboard.type('activity');
    expect(await page.locator('[role="option"]').count()).toBe(1);
    await page.keyboard.press('Enter');
    await page.waitForSelector('main[data-page="activity"]');
    expect(await page.locator('[role="dialog"]').count()).toBe(0);

    // The theme change was a real API call, audited, and listed on the Activity page.
    const row = page.locator('tr[data-action="settings.update"]').first();
    await row.waitFor();
    expect(await row.innerText()).toContain('Changed settings');
    expect(await row.innerText()).toMatch(/Browser at 127\.0\.0\.1/);
    await row.locator('summary').click();
    expect(await row.innerText()).toContain(`"theme":"${expected}"`);

    // And it persisted: a reload keeps the theme.
    await page.reload();
    await page.waitForSelector('nav[aria-label="Main"]');
    await page.waitForFunction((t) => document.documentElement.dataset.theme === t, expected);
    await screenshot(page, 'activity');
    expect(errors).toEqual([]);
  });

  it('shows a clear error page when opened without the token', async () => {
    const page = await browser.newPage();
    await page.goto(`http://127.0.0.1:${web.port}/`);
    await page.waitForSelector('[role="alert"]');
    expect(await page.innerText('[role="alert"]')).toMatch(/#token=/);
  });
});
