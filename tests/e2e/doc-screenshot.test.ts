// Tests never write tracked files: a doc screenshot goes to test-results only, and into a docs folder only when
// scripts/screenshots.sh asks for it (OPENPANEL_DOC_SCREENSHOTS). Real Chromium takes the screenshots.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DOC_SCREENSHOTS_ENV, DOCS_SCREENSHOTS, docScreenshot, launchBrowser, SCREENSHOT_DIR } from '../helpers/browser.ts';

describe('docScreenshot', () => {
  let browser: Browser;
  let page: Page;
  const name = `zz-doc-screenshot-test-${process.pid}`;
  const tracked = join(DOCS_SCREENSHOTS, `${name}.png`);

  beforeAll(async () => {
    browser = await launchBrowser();
    page = await browser.newPage({ viewport: { width: 320, height: 200 } });
    await page.setContent('<h1>doc screenshot</h1>');
  });
  afterAll(async () => {
    rmSync(tracked, { force: true });
    rmSync(join(SCREENSHOT_DIR, `${name}.png`), { force: true });
    await browser?.close();
  });

  it('writes under test-results only, never into docs/screenshots, when not asked to', async () => {
    const env = { ...process.env };
    delete env[DOC_SCREENSHOTS_ENV];
    const shot = await docScreenshot(page, name, env);
    expect(shot).toBe(join(SCREENSHOT_DIR, `${name}.png`));
    expect(readFileSync(shot).subarray(1, 4).toString()).toBe('PNG');
    expect(existsSync(tracked)).toBe(false);
  });

  it('copies into the folder OPENPANEL_DOC_SCREENSHOTS names (what scripts/screenshots.sh does)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'openpanel-docshots-'));
    try {
      const shot = await docScreenshot(page, name, { [DOC_SCREENSHOTS_ENV]: join(dir, 'screenshots') });
      expect(readFileSync(join(dir, 'screenshots', `${name}.png`))).toEqual(readFileSync(shot));
      expect(existsSync(tracked)).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
