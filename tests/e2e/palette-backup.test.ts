import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Testbed, type TestServer } from '../testbed/index.ts';
import { openAppForScan, seriousViolationsInBothThemes } from '../helpers/a11y.ts';
import { launchBrowser } from '../helpers/browser.ts';
import { loadDataImages, startS3, TOOLS_STANDIN, type TestS3 } from '../helpers/s3.ts';
import { addServer } from '../helpers/servers.ts';
import { startWebProcess, type WebProcess } from '../helpers/web-process.ts';

// The palette finds a backup job and runs "back up now" through the job card's own action, after the confirm
// dialog; the backup really lands in the S3 bucket.
describe('palette: back up now (Chromium, real server, s3rver)', () => {
  let bed: Testbed;
  let s: TestServer;
  let s3: TestS3;
  let web: WebProcess;
  let browser: Browser;
  let jobId: string;

  beforeAll(async () => {
    bed = await Testbed.create({ prefix: 'e2epbk' });
    s = await bed.addServer({ name: 'pbk' });
    const images = await loadDataImages(s);
    s3 = await startS3(bed);
    await s.exec(['docker', 'volume', 'create', 'uploads'], { check: true });
    await s.exec(['docker', 'run', '--rm', '-v', 'uploads:/v', TOOLS_STANDIN, 'sh', '-c', 'echo hello > /v/readme'], { check: true });
    web = await startWebProcess();
    const { client, close } = await web.client();
    const serverId = (await addServer(client, s, { name: 'pbk-1' })).id;
    await client.databases.setImages({ serverId, images: { 'openpanel/backup-tools:1': images.tools } });
    const target = await client.backups.createTarget({ name: 'local s3', endpoint: s3.endpoint, region: 'us-east-1', bucket: s3.bucket, prefix: '', pathStyle: true, accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey });
    jobId = (await client.backups.createJob({ serverId, source: { kind: 'volume', volume: 'uploads' }, targetId: target.id, schedule: '0 0 1 1 *' })).id;
    close();
    browser = await launchBrowser();
  }, 400_000);
  afterAll(async () => {
    await browser?.close();
    await web?.stop();
    await s3?.close();
    await bed?.teardown();
  });

  it('asks first; "Back up now" runs in the job card and the backup is in the bucket', async () => {
    const { page, errors } = await openAppForScan(browser, web.url);
    const { client, close } = await web.client();
    try {
      await page.click('[data-testid="palette-open"]');
      await page.keyboard.type('back up uploads');
      const item = page.locator(`[data-testid="palette"] [cmdk-item][aria-selected="true"][data-command="backup-now-${jobId}"]`);
      await item.waitFor({ timeout: 20_000 });
      await page.keyboard.press('Enter');
      const dialog = page.locator('[data-testid="confirm-dialog"]');
      await dialog.waitFor();
      expect(await dialog.innerText()).toContain('on pbk-1?');
      expect(await client.backups.list({ jobId })).toHaveLength(0);
      await dialog.locator('button:has-text("Back up now")').click();
      // The job card on the Backups page shows the run it started, to its end.
      await page.waitForSelector('main[data-page="backups"]');
      await page.waitForSelector('[data-testid="backup-phase"]', { timeout: 30_000 });
      await page.waitForSelector('[data-testid="backup-phase"]:text-matches("^done")', { timeout: 120_000 });
      const objects = await client.backups.list({ jobId });
      expect(objects).toHaveLength(1);
      expect(objects[0]!.size).toBeGreaterThan(0);
      // The Backups page with a target, a job and a finished run: no serious accessibility violation in either theme.
      expect(await seriousViolationsInBothThemes(page)).toEqual({ light: [], dark: [] });
    } finally {
      close();
    }
    expect(errors).toEqual([]);
  });
});
