import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Testbed, type TestServer } from '../testbed/index.ts';
import { waitFor } from '../helpers/app.ts';
import { launchBrowser, publishDocScreenshot, screenshot, watchErrors } from '../helpers/browser.ts';
import { loadDataImages, startS3, type TestS3 } from '../helpers/s3.ts';
import { addServer } from '../helpers/servers.ts';
import { startWebProcess, type WebProcess } from '../helpers/web-process.ts';

describe('databases and backups in Chromium (web mode, real server, s3rver)', () => {
  let bed: Testbed;
  let s: TestServer;
  let s3: TestS3;
  let web: WebProcess;
  let browser: Browser;
  let dataDir: string;
  let serverId: string;

  beforeAll(async () => {
    bed = await Testbed.create();
    s = await bed.addServer({ name: 'e2e-data' });
    // Our own data dir: the second test stops the web process and starts it again on the same data.
    dataDir = mkdtempSync(join(tmpdir(), 'openpanel-e2e-data-'));
    let images: Awaited<ReturnType<typeof loadDataImages>>;
    [images, s3, web, browser] = await Promise.all([loadDataImages(s), startS3(bed), startWebProcess({ dataDir }), launchBrowser()]);
    const { client, close } = await web.client();
    serverId = (await addServer(client, s, { name: 'e2e-data' })).id;
    await client.databases.setImages({ serverId, images: { 'postgres:16': images.postgres, 'openpanel/backup-tools:1': images.tools } });
    close();
  }, 400_000);
  afterAll(async () => {
    await browser?.close();
    await web?.stop();
    await s3?.close();
    await bed?.teardown();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('creates a database, sets a schedule and S3 target, backs up now with progress, restores, and verifies', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const errors = watchErrors(page);
    await page.goto(web.url);
    await page.click('[data-nav="databases"]');
    await page.click('text=New database');
    await page.fill('#db-name', 'Bad Name!');
    await page.click('text=Create database');
    await page.waitForSelector('.field-error');
    expect(await page.innerText('form[aria-label="New database"]')).toMatch(/lowercase letters/);
    await page.fill('#db-name', 'shop');
    await page.click('text=Create database');
    await page.waitForSelector('tr[data-database="shop"] [data-testid="db-state"]:has-text("running")', { timeout: 120_000 });
    await page.click('tr[data-database="shop"] [data-testid="show-connection"]');
    await page.waitForSelector('tr[data-database="shop"] td:has-text("postgresql://app:")');
    const container = (await s.exec(['docker', 'ps', '--filter', 'name=op-db-shop', '--format', '{{.Names}}'], { check: true })).stdout.trim();
    await s.exec(['docker', 'exec', container, 'psql', '-U', 'app', '-d', 'shop', '-c', "create table t (id int); insert into t select generate_series(1, 300)"], { check: true });

    await page.click('[data-nav="backups"]');
    await page.fill('#t-name', 'local s3');
    await page.fill('#t-endpoint', s3.endpoint);
    await page.fill('#t-bucket', s3.bucket);
    await page.fill('#t-accessKeyId', s3.accessKeyId);
    await page.fill('#t-secretAccessKey', s3.secretAccessKey);
    await page.click('text=Add target');
    await page.waitForSelector('[data-testid="targets"] li:has-text("local s3")');
    await page.waitForSelector('#j-db option:has-text("shop")', { state: 'attached' });
    await page.fill('#j-cron', 'every day');
    await page.click('text=Create schedule');
    await page.waitForSelector('form[aria-label="New backup schedule"] .field-error');
    await page.fill('#j-cron', '0 3 * * *');
    await page.click('text=Create schedule');
    const job = page.locator('[data-job="shop"]');
    await job.waitFor();

    await job.locator('[data-testid="backup-now"]').click();
    await page.waitForSelector('[data-job="shop"] [role="progressbar"]');
    await page.waitForSelector('[data-job="shop"] [data-testid="backup-phase"]:has-text("done")', { timeout: 120_000 });
    await page.waitForSelector('[data-job="shop"] [data-testid="backups-list"] tr', { timeout: 30_000 });

    await job.locator('button:has-text("Restore…")').first().click();
    const restore = page.locator('[data-testid="restore-dialog"]');
    await restore.waitFor();
    await restore.locator('#restore-name').fill('shop_copy');
    await restore.locator('[data-testid="restore-run"]').click();
    await restore.locator('[data-testid="restore-step"]:has-text("Restored into shop_copy")').waitFor({ timeout: 120_000 });
    await restore.locator('button:has-text("Close")').click();
    const rows = await s.exec(['docker', 'exec', container, 'psql', '-U', 'app', '-d', 'shop_copy', '-At', '-c', 'select count(*) from t'], { check: true });
    expect(rows.stdout.trim()).toBe('300');

    await job.locator('button:has-text("Verify")').first().click();
    await page.waitForSelector('[data-job="shop"] [data-testid="verify-badge"]:has-text("verified")', { timeout: 120_000 });
    const shot = await screenshot(page, 'backups');
    publishDocScreenshot(shot, 'backups');
    expect(errors).toEqual([]);
  });

  it('a backup run that failed on the server while OpenPanel was closed shows up as a notification when it reconnects', async () => {
    const { client, close } = await web.client();
    const db = (await client.databases.list({})).find((d) => d.name === 'shop')!;
    const down = await client.backups.createTarget({ name: 'down', endpoint: `http://${bed.gateway}:1`, region: 'us-east-1', bucket: s3.bucket, accessKeyId: 'x', secretAccessKey: 'y' });
    const job = await client.backups.createJob({ serverId, source: { kind: 'database', databaseId: db.id }, targetId: down.id, schedule: '* * * * *' });
    close();
    await web.stop();
    await waitFor(
      async () => {
        const r = await s.exec(['docker', 'exec', 'openpanel-backup-scheduler', 'cat', `/openpanel/runs/${job.id}/state.json`]);
        return r.code === 0 && r.stdout.includes('"status":"failed"');
      },
      'the scheduled run to fail on the server',
      150_000,
      1000,
    );
    web = await startWebProcess({ dataDir });
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const errors = watchErrors(page);
    await page.goto(web.url);
    // The monitor connects to the server at start; its run history brings the failure as a toast in the browser.
    const toast = page.locator('.toast:has-text("Backup failed")');
    await toast.waitFor({ timeout: 60_000 });
    expect(await toast.innerText()).toMatch(/shop: (a backup run|\d+ backup runs) failed on the server/);
    const shot = await screenshot(page, 'backup-notice');
    publishDocScreenshot(shot, 'backup-notice');
    const again = await web.client();
    await again.client.backups.updateJob({ id: job.id, enabled: false });
    again.close();
    expect(errors).toEqual([]);
  }, 300_000);
});
