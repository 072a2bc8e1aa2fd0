import { AxeBuilder } from '@axe-core/playwright';
import type { Browser, Page } from 'playwright-core';
import { watchErrors } from './browser.ts';

export interface A11yFinding {
  rule: string;
  impact: string;
  targets: string[];
  summary: string;
}

/** axe-core on the page as it is now; only serious and critical violations are returned. */
export async function seriousViolations(page: Page): Promise<A11yFinding[]> {
  const results = await new AxeBuilder({ page }).analyze();
  return results.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => ({ rule: v.id, impact: v.impact ?? '', targets: v.nodes.map((n) => n.target.join(' ')), summary: v.nodes[0]?.failureSummary ?? '' }));
}

/** Like openApp, in a browser context of its own: AxeBuilder opens a helper page in the page's context. */
export async function openAppForScan(browser: Browser, url: string, viewport = { width: 1280, height: 860 }): Promise<{ page: Page; errors: string[] }> {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  const errors = watchErrors(page);
  await page.goto(url);
  await page.waitForSelector('nav[aria-label="Main"]');
  return { page, errors };
}

/** Scans the page in the light and the dark theme (switching with the app's own toggle); findings by theme. */
export async function seriousViolationsInBothThemes(page: Page): Promise<Record<'light' | 'dark', A11yFinding[]>> {
  const out = { light: [] as A11yFinding[], dark: [] as A11yFinding[] };
  for (const theme of ['light', 'dark'] as const) {
    if ((await page.evaluate(() => document.documentElement.dataset.theme)) !== theme) await page.click('[data-testid="theme-toggle"]');
    await page.waitForFunction((t) => document.documentElement.dataset.theme === t, theme);
    out[theme] = await seriousViolations(page);
  }
  return out;
}
