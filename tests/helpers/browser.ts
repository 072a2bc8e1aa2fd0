import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';

export const SCREENSHOT_DIR = join(import.meta.dirname, '../../test-results/screenshots');

/** Where the screenshots the docs show are kept (refreshed only by scripts/screenshots.sh). */
export const DOCS_SCREENSHOTS = join(import.meta.dirname, '../../docs/screenshots');
/** Names the folder docScreenshot also copies into; unset in test runs, so tests never write tracked files. */
export const DOC_SCREENSHOTS_ENV = 'OPENPANEL_DOC_SCREENSHOTS';

/**
 * Debian's Chromium, headless, with the flags this closed network needs. `mapHosts` resolves those names to an
 * address (there is no DNS here), e.g. an app's domain to the test server that serves it.
 */
export async function launchBrowser(mapHosts: Record<string, string> = {}): Promise<Browser> {
  const rules = Object.entries(mapHosts).map(([host, address]) => `MAP ${host} ${address}`);
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      ...(rules.length ? [`--host-resolver-rules=${rules.join(', ')}`] : []),
    ],
  });
}

/** Collects page errors and console errors so a test can assert there were none. */
export function watchErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    // Chromium aborts fetches in flight when an interface appears (test beds add veth pairs all the time); the app
    // retries a chunk whose fetch failed (lib/lazy.ts), and anything that stays broken fails the test on its own.
    if (m.type() === 'error' && !m.text().includes('net::ERR_NETWORK_CHANGED')) errors.push(`console: ${m.text()}`);
  });
  return errors;
}

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const path = join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path, fullPage: false });
  return path;
}

/**
 * Copies a screenshot to `$OPENPANEL_DOC_SCREENSHOTS/<docName>.png` when that is set (scripts/screenshots.sh sets
 * it to docs/screenshots); otherwise does nothing. Returns where it copied to, or null.
 */
export function publishDocScreenshot(shot: string, docName: string, env: NodeJS.ProcessEnv = process.env): string | null {
  const dir = env[DOC_SCREENSHOTS_ENV];
  if (!dir) return null;
  mkdirSync(dir, { recursive: true });
  const target = join(dir, `${docName}.png`);
  copyFileSync(shot, target);
  return target;
}

/** A screenshot that the docs show: taken into test-results, published to the docs only when asked for. */
export async function docScreenshot(page: Page, name: string, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const shot = await screenshot(page, name);
  publishDocScreenshot(shot, name, env);
  return shot;
}

/** A new page on the app (web mode URL with its token), loaded, with its errors collected. */
export async function openApp(browser: Browser, url: string, viewport = { width: 1280, height: 860 }): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage({ viewport });
  const errors = watchErrors(page);
  await page.goto(url);
  await page.waitForSelector('nav[aria-label="Main"]');
  return { page, errors };
}
