import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ManagedDatabase } from '../../src/shared/contract/index.ts';
import { SCHEDULER_NAME } from '../../src/main/services/backups/scheduler.ts';
import { Testbed, type TestServer } from '../testbed/index.ts';
import { openAppForScan, seriousViolations, type A11yFinding } from '../helpers/a11y.ts';
import { docScreenshot, launchBrowser } from '../helpers/browser.ts';
import { loadDataImages, startS3, type TestS3 } from '../helpers/s3.ts';
import { addServer } from '../helpers/servers.ts';
import { startWebProcess, type WebProcess } from '../helpers/web-process.ts';

// Backup targets tested on save, edited and deleted; a schedule edited (reaching the server's crontab); a backup
// restored through the restore dialog into another server, then in place. Two real servers, s3rver, Chromium.
describe('backups: targets, schedules and restore in the UI (Chromium, two real servers, s3rver)', () => {
  let bed: Testbed;
  let a: TestServer;
  let b: TestServer;
  let s3: TestS3;
  let web: WebProcess;
  let browser: Browser;
  let shop: ManagedDatabase;
  let spare: ManagedDatabase;

  const psql = async (s: TestServer, db: ManagedDatabase, dbName: string, sql: string) =>
    (await s.exec(['docker', 'exec', db.containerName, 'psql', '-U', 'app', '-d', dbName, '-At', '-v', 'ON_ERROR_STOP=1', '-c', sql], { check: true })).stdout.trim();
  const crontab = async () => (await a.exec(['docker', 'exec', SCHEDULER_NAME, 'cat', '/openpanel/crontabs/root'], { check: true })).stdout;
  /** A dialog scanned in both themes: opened, scanned, closed (the theme toggle sits behind a modal dialog). */
  const scanDialog = async (page: Page, open: () => Promise<void>): Promise<Record<'light' | 'dark', A11yFinding[]>> => {
    const out = { light: [] as A11yFinding[], dark: [] as A11yFinding[] };
    for (const theme of ['light', 'dark'] as const) {
      if ((await page.evaluate(() => document.documentElement.dataset.theme)) !== theme) await page.click('[data-testid="theme-toggle"]');
      await page.waitForFunction((t) => document.documentElement.dataset.theme === t, theme);
      await open();
      out[theme] = await seriousViolations(page);
      await page.keyboard.press('Escape');
      await page.locator('[role="dialog"]').waitFor({ state: 'detached' });
    }
    return out;
  };

  beforeAll(async () => {
    bed = await Testbed.create({ prefix: 'e2ebkm' });
    [a, b] = await Promise.all([bed.addServer({ name: 'bkm-a' }), bed.addServer({ name: 'bkm-b' })]);
    const [imagesA, imagesB] = await Promise.all([loadDataImages(a), loadDataImages(b)]);
    s3 = await startS3(bed);
    web = await startWebProcess();
    const { client, close } = await web.client();
    const idA = (await addServer(client, a, { name: 'alpha' })).id;
    const idB = (await addServer(client, b, { name: 'beta' })).id;
    await client.databases.setImages({ serverId: idA, images: { 'postgres:16': imagesA.postgres, 'openpanel/backup-tools:1': imagesA.tools } });
    await client.databases.setImages({ serverId: idB, images: { 'postgres:16': imagesB.postgres, 'openpanel/backup-tools:1': imagesB.tools } });
    [shop, spare] = await Promise.all([client.databases.create({ serverId: idA, name: 'shop' }), client.databases.create({ serverId: idB, name: 'spare' })]);
    await psql(a, shop, 'shop', 'create table t (id int); insert into t select generate_series(1, 300)');
    close();
    browser = await launchBrowser();
  }, 600_000);
  afterAll(async () => {
    await browser?.close();
    await web?.stop();
    await s3?.close();
    await bed?.teardown();
  });

  it('a target is tested on save (the wrong field named), tested, edited keeping its keys', async () => {
    const { page, errors } = await openAppForScan(browser, web.url);
    const { client, close } = await web.client();
    try {
      await page.click('[data-nav="backups"]');
      await page.fill('#t-name', 'local s3');
      await page.fill('#t-endpoint', s3.endpoint);
      await page.fill('#t-bucket', 'bakcups');
      await page.fill('#t-accessKeyId', s3.accessKeyId);
      await page.fill('#t-secretAccessKey', s3.secretAccessKey);
      await page.click('button:has-text("Add target")');
      const bucketError = page.locator('#t-bucket-error');
      await bucketError.waitFor({ timeout: 30_000 });
      expect(await bucketError.innerText()).toContain('no bucket "bakcups"');
      expect(await client.backups.targets()).toEqual([]);
      // The Test button says what is wrong before saving, here a closed port.
      await page.fill('#t-bucket', s3.bucket);
      await page.fill('#t-endpoint', `http://${bed.gateway}:1`);
      await page.click('form[aria-label="New target"] button:has-text("Test")');
      await page.locator('form[aria-label="New target"] [data-testid="target-test"]:has-text("connection refused")').waitFor({ timeout: 30_000 });
      await page.fill('#t-endpoint', s3.endpoint);
      await page.click('button:has-text("Add target")');
      const row = page.locator('[data-testid="targets"] li[data-target="local s3"]');
      await row.waitFor({ timeout: 30_000 });
      expect(await client.backups.targets()).toMatchObject([{ name: 'local s3', bucket: s3.bucket, prefix: '' }]);

      await row.locator('button:has-text("Test")').click();
      await row.locator('[data-testid="target-test"]:has-text("Test passed")').waitFor({ timeout: 30_000 });

      expect(await scanDialog(page, () => row.locator('button:has-text("Edit…")').click())).toEqual({ light: [], dark: [] });
      await row.locator('button:has-text("Edit…")').click();
      const edit = page.locator('[role="dialog"][aria-label="Edit target"]');
      await edit.waitFor();
      expect(await edit.locator('#te-secretAccessKey').inputValue()).toBe('');
      await edit.locator('#te-prefix').fill('nightly');
      await edit.locator('button:has-text("Save target")').click();
      await edit.waitFor({ state: 'detached', timeout: 30_000 });
      const [target] = await client.backups.targets();
      expect(target).toMatchObject({ name: 'local s3', prefix: 'nightly' });
      // The stored keys were kept: a test of the saved target with no keys given passes.
      expect(await client.backups.testTarget({ id: target!.id, endpoint: target!.endpoint, region: target!.region, bucket: target!.bucket, prefix: 'nightly', pathStyle: true })).toMatchObject({ passed: true });
    } finally {
      close();
    }
    expect(errors).toEqual([]);
  });

  it('a schedule is edited (the server crontab changes), backed up, restored into another server and then in place', async () => {
    const { page, errors } = await openAppForScan(browser, web.url);
    const { client, close } = await web.client();
    try {
      await page.click('[data-nav="backups"]');
      await page.waitForSelector('#j-db option:has-text("shop")', { state: 'attached' });
      await page.selectOption('#j-db', { label: 'shop' });
      await page.click('text=Create schedule');
      const job = page.locator('[data-job="shop"]');
      await job.waitFor({ timeout: 60_000 });
      const [created] = await client.backups.jobs({});
      expect(await crontab()).toContain(`0 3 * * * /openpanel/bin/backup.sh ${created!.id} `);

      expect(await scanDialog(page, () => job.locator('button:has-text("Edit…")').click())).toEqual({ light: [], dark: [] });
      await job.locator('button:has-text("Edit…")').click();
      const edit = page.locator('[role="dialog"][aria-label="Edit schedule"]');
      await edit.waitFor();
      await edit.locator('#je-cron').fill('every night');
      await edit.locator('button:has-text("Save schedule")').click();
      await edit.locator('.field-error:has-text("cron schedule")').waitFor();
      await edit.locator('#je-cron').fill('17 4 * * *');
      await edit.locator('#je-days').fill('30');
      await edit.locator('button:has-text("Save schedule")').click();
      await edit.waitFor({ state: 'detached', timeout: 30_000 });
      expect(await crontab()).toContain(`17 4 * * * /openpanel/bin/backup.sh ${created!.id} `);
      expect(await crontab()).not.toContain('0 3 * * *');
      await page.locator('[data-job="shop"]:has-text("17 4 * * *")').waitFor();

      await job.locator('[data-testid="backup-now"]').click();
      await page.waitForSelector('[data-job="shop"] [data-testid="backup-phase"]:has-text("done")', { timeout: 120_000 });
      await page.waitForSelector('[data-job="shop"] [data-testid="backups-list"] tr', { timeout: 30_000 });

      expect(await scanDialog(page, () => job.locator('button:has-text("Restore…")').first().click())).toEqual({ light: [], dark: [] });
      await job.locator('button:has-text("Restore…")').first().click();
      const restore = page.locator('[data-testid="restore-dialog"]');
      await restore.waitFor();
      await restore.locator('#restore-into').selectOption({ label: 'spare on beta' });
      await restore.locator('#restore-name').fill('shop_copy');
      const plan = restore.locator('[data-testid="restore-plan"]');
      expect(await plan.innerText()).toContain('A new database "shop_copy" is created in spare on beta');
      expect(await plan.innerText()).toContain('shop on alpha is not touched');
      await docScreenshot(page, 'backup-restore');
      await restore.locator('[data-testid="restore-run"]').click();
      await restore.locator('[data-testid="restore-step"]:has-text("Restored into shop_copy")').waitFor({ timeout: 120_000 });
      expect(await psql(b, spare, 'shop_copy', 'select count(*) from t')).toBe('300');
      await restore.locator('button:has-text("Close")').click();
      await restore.waitFor({ state: 'detached' });

      // In place: the live database gets the backup's data, the current one is kept under another name.
      await psql(a, shop, 'shop', 'delete from t where id > 100');
      await job.locator('button:has-text("Restore…")').first().click();
      await restore.waitFor();
      await restore.locator('input[name="restore-mode"]').nth(1).check();
      expect(await plan.innerText()).toContain('renamed to "shop_before_');
      await restore.locator('button:has-text("Replace with this backup")').click();
      await restore.locator('[data-testid="restore-step"]:has-text("Restored into shop")').waitFor({ timeout: 120_000 });
      expect(await psql(a, shop, 'shop', 'select count(*) from t')).toBe('300');
      expect(await psql(a, shop, 'postgres', "select count(*) from pg_database where datname like 'shop_before_%'")).toBe('1');
      await restore.locator('button:has-text("Close")').click();
    } finally {
      close();
    }
    expect(errors).toEqual([]);
  });

  it('a target in use is deleted only with consent, its schedules listed and removed from the server', async () => {
    const { page, errors } = await openAppForScan(browser, web.url);
    const { client, close } = await web.client();
    try {
      await page.click('[data-nav="backups"]');
      const [job] = await client.backups.jobs({});
      const row = page.locator('[data-testid="targets"] li[data-target="local s3"]');
      await row.locator('button:has-text("Delete…")').click();
      const confirm = page.locator('[data-testid="confirm-dialog"]');
      await confirm.waitFor();
      expect(await confirm.innerText()).toContain('is deleted with it (removed from their servers\' crontabs): shop');
      await page.keyboard.press('Escape');
      await confirm.waitFor({ state: 'detached' });
      expect(await client.backups.targets()).toHaveLength(1);
      expect(await crontab()).toContain(job!.id);

      await row.locator('button:has-text("Delete…")').click();
      await confirm.locator('button:has-text("Delete target and 1 schedule")').click();
      await row.waitFor({ state: 'detached', timeout: 30_000 });
      expect(await client.backups.targets()).toEqual([]);
      expect(await client.backups.jobs({})).toEqual([]);
      expect(await crontab()).not.toContain(job!.id);
      await page.locator('[data-job="shop"]').waitFor({ state: 'detached' });
    } finally {
      close();
    }
    expect(errors).toEqual([]);
  });
});
