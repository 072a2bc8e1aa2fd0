import { readFileSync } from 'node:fs';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Testbed, type TestServer } from '../testbed/index.ts';
import { openAppForScan, seriousViolations } from '../helpers/a11y.ts';
import { docScreenshot, launchBrowser, openApp } from '../helpers/browser.ts';
import { loadDataImages, startS3, TOOLS_STANDIN, type TestS3 } from '../helpers/s3.ts';
import { addServer } from '../helpers/servers.ts';
import { startWebProcess, type WebProcess } from '../helpers/web-process.ts';

const PASSPHRASE = 'e2e recovery passphrase';

// The key leaves the first computer from the Backups page (file + recovery text) and is installed in a second
// instance (own data dir) after comparing both public keys; the second instance then verifies the backup.
describe('backup keys: export on one instance, import on another (Chromium, real server, s3rver)', () => {
  let bed: Testbed;
  let s: TestServer;
  let s3: TestS3;
  let first: WebProcess;
  let second: WebProcess;
  let third: WebProcess | undefined;
  let targetInput: Parameters<Awaited<ReturnType<WebProcess['client']>>['client']['backups']['createTarget']>[0];
  let browser: Browser;
  let jobId: string;
  let recipientA: string;
  let recipientB: string;
  let keyFile = '';

  beforeAll(async () => {
    bed = await Testbed.create({ prefix: 'e2ekey' });
    s = await bed.addServer({ name: 'key' });
    const images = await loadDataImages(s);
    s3 = await startS3(bed);
    await s.exec(['docker', 'volume', 'create', 'uploads'], { check: true });
    await s.exec(['docker', 'run', '--rm', '-v', 'uploads:/v', TOOLS_STANDIN, 'sh', '-c', 'echo hello > /v/readme'], { check: true });
    targetInput = { name: 'offsite', endpoint: s3.endpoint, region: 'us-east-1', bucket: s3.bucket, prefix: '', pathStyle: true, accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey };
    first = await startWebProcess();
    {
      const { client, close } = await first.client();
      const serverId = (await addServer(client, s, { name: 'key-1' })).id;
      await client.databases.setImages({ serverId, images: { 'openpanel/backup-tools:1': images.tools } });
      const target = await client.backups.createTarget(targetInput);
      recipientA = target.recipient;
      jobId = (await client.backups.createJob({ serverId, source: { kind: 'volume', volume: 'uploads' }, targetId: target.id, schedule: '0 0 1 1 *' })).id;
      let phase = '';
      for await (const p of await client.backups.runNow({ jobId })) phase = p.phase;
      expect(phase).toBe('done');
      close();
    }
    second = await startWebProcess();
    {
      const { client, close } = await second.client();
      const serverId = (await addServer(client, s, { name: 'key-1' })).id;
      await client.databases.setImages({ serverId, images: { 'openpanel/backup-tools:1': images.tools } });
      const target = await client.backups.createTarget(targetInput);
      recipientB = target.recipient;
      close();
    }
    browser = await launchBrowser();
  }, 500_000);
  afterAll(async () => {
    await browser?.close();
    await third?.stop();
    await second?.stop();
    await first?.stop();
    await s3?.close();
    await bed?.teardown();
  });

  it('the Backups page says where the key is and exports it as a passphrase file and as recovery text', async () => {
    const { page, errors } = await openAppForScan(browser, first.url);
    await page.click('[data-nav="backups"]');
    const row = page.locator('[data-key-target="offsite"]');
    await row.waitFor({ timeout: 20_000 });
    expect(await row.locator('[data-testid="key-recipient"]').innerText()).toBe(recipientA);
    await page.waitForSelector('[data-key-target="offsite"] [data-testid="key-where"]:has-text("keychain: service \\"openpanel\\", account")');
    await row.locator('button:has-text("Export key…")').click();
    const dialog = page.locator('[role="dialog"][aria-label="Export backup key"]');
    await dialog.waitFor();
    await dialog.locator('#kx-pass').fill(PASSPHRASE);
    await dialog.locator('#kx-pass2').fill('something else entirely');
    await dialog.locator('button:has-text("Save key file")').click();
    await dialog.locator('.field-error:has-text("the two passphrases differ")').waitFor();
    await dialog.locator('#kx-pass2').fill(PASSPHRASE);
    const [download] = await Promise.all([page.waitForEvent('download', { timeout: 60_000 }), dialog.locator('button:has-text("Save key file")').click()]);
    expect(download.suggestedFilename()).toBe('openpanel-backup-key-offsite.age');
    keyFile = readFileSync((await download.path())!, 'utf8');
    expect(keyFile.startsWith('-----BEGIN AGE ENCRYPTED FILE-----')).toBe(true);
    await dialog.locator('[data-testid="key-file"]:has-text("openpanel-backup-key-offsite.age")').waitFor();
    expect(await dialog.locator('[data-testid="age-command"]').innerText()).toBe('age -d -i openpanel-backup-key-offsite.age backup.sql.zst.age | zstd -d');
    await dialog.locator('button:has-text("Show recovery text")').click();
    const text = await dialog.locator('[data-testid="recovery-text"]').innerText({ timeout: 20_000 });
    expect(text).toContain(`# public key: ${recipientA}`);
    expect(text).toMatch(/^AGE-SECRET-KEY-1[0-9A-Z]{58}$/m);
    expect(await seriousViolations(page)).toEqual([]);
    await docScreenshot(page, 'backup-key-export');
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    expect(errors).toEqual([]);
  }, 120_000);

  it('a second instance installs the key after showing both public keys, then verifies the first instance\'s backup', async () => {
    expect(keyFile).not.toBe('');
    const { page, errors } = await openAppForScan(browser, second.url);
    await page.click('[data-nav="backups"]');
    const row = page.locator('[data-key-target="offsite"]');
    await row.waitFor({ timeout: 20_000 });
    expect(await row.locator('[data-testid="key-recipient"]').innerText()).toBe(recipientB);
    // The first instance's job folder is found in the bucket and continued here as a schedule of its own.
    const foreign = row.locator(`[data-foreign-job="${jobId}"]`);
    await foreign.waitFor({ timeout: 30_000 });
    expect(await foreign.innerText()).toContain('1 volume backup');
    await foreign.locator('button:has-text("Continue here…")').click();
    const adopt = page.locator('[role="dialog"][aria-label="Continue backups here"]');
    await adopt.waitFor();
    await adopt.locator('#fj-volume').fill('uploads');
    await adopt.locator('#fj-cron').fill('0 0 1 1 *');
    await adopt.locator('button:has-text("Continue here")').click();
    await adopt.waitFor({ state: 'detached', timeout: 60_000 });
    {
      const { client, close } = await second.client();
      expect((await client.backups.jobs({}).finally(close)).map((j) => j.id)).toEqual([jobId]);
    }
    // Before the key is installed, this instance cannot open the backup.
    const card = page.locator('[data-job="volume uploads"]');
    await card.locator('[data-testid="backups-list"] tr').first().waitFor({ timeout: 30_000 });
    await card.locator('button:has-text("Verify")').first().click();
    await card.locator('[data-testid="verify-badge"]:has-text("verify failed")').waitFor({ timeout: 60_000 });

    await page.click('button:has-text("Import key…")');
    const dialog = page.locator('[role="dialog"][aria-label="Import backup key"]');
    await dialog.waitFor();
    await dialog.locator('#ki-file').setInputFiles({ name: 'openpanel-backup-key-offsite.age', mimeType: 'text/plain', buffer: Buffer.from(keyFile) });
    await dialog.locator('#ki-pass').fill('not the passphrase');
    await dialog.locator('button:has-text("Check key")').click();
    await dialog.locator('.field-error:has-text("wrong passphrase")').waitFor({ timeout: 60_000 });
    await dialog.locator('#ki-pass').fill(PASSPHRASE);
    await dialog.locator('button:has-text("Check key")').click();
    const preview = dialog.locator('[data-testid="key-preview"]');
    await preview.waitFor({ timeout: 60_000 });
    const shown = await preview.innerText();
    expect(shown).toContain(recipientA);
    expect(shown).toContain(recipientB);
    expect(await seriousViolations(page)).toEqual([]);
    await docScreenshot(page, 'backup-key-import');
    await preview.locator('button:has-text("Replace key…")').click();
    const confirm = page.locator('[data-testid="confirm-dialog"]');
    await confirm.waitFor();
    expect(await confirm.innerText()).toContain(`instead of ${recipientB}`);
    await confirm.locator('button:has-text("Replace key")').click();
    await dialog.waitFor({ state: 'detached', timeout: 60_000 });
    await page.waitForSelector(`[data-key-target="offsite"] [data-testid="key-recipient"]:text-is("${recipientA}")`, { timeout: 20_000 });

    await card.locator('button:has-text("Verify")').first().click();
    await card.locator('[data-testid="verify-badge"]:has-text("verified")').waitFor({ timeout: 90_000 });
    expect(errors).toEqual([]);
  }, 240_000);

  it('a server profile exported with a passphrase carries the key: a third instance installs it when ticked', async () => {
    third = await startWebProcess();
    const { client, close } = await third.client();
    const recipientC = (await client.backups.createTarget(targetInput).finally(close)).recipient;
    const { page: from, errors: fromErrors } = await openApp(browser, first.url);
    await from.click('[data-nav="settings"]');
    const card = from.locator('.card:has(h2:text-is("Server profiles"))');
    await card.locator('label:has-text("key-1") input[type="checkbox"]').check();
    await card.locator('input[aria-label="Export passphrase"]').fill(PASSPHRASE);
    const [download] = await Promise.all([from.waitForEvent('download', { timeout: 60_000 }), card.locator('button:text-is("Export")').click()]);
    const profile = readFileSync((await download.path())!, 'utf8');
    expect(profile).not.toContain('AGE-SECRET-KEY');
    expect(fromErrors).toEqual([]);

    const { page, errors } = await openAppForScan(browser, third.url);
    await page.click('[data-nav="settings"]');
    await page.setInputFiles('input[aria-label="Profile file"]', { name: 'servers.json', mimeType: 'application/json', buffer: Buffer.from(profile) });
    await page.fill('input[aria-label="Import passphrase"]', PASSPHRASE);
    await page.locator('button:has-text("Preview import"):enabled').click();
    const keys = page.locator('[data-testid="profile-backup-keys"] [data-key-index="0"]');
    await keys.waitFor({ timeout: 60_000 });
    const shown = await keys.innerText();
    expect(shown).toContain(recipientA);
    expect(shown).toContain(recipientC);
    expect(await seriousViolations(page)).toEqual([]);
    await keys.locator('input[type="checkbox"]').check();
    await page.click('button.primary:has-text("Import")');
    const toast = page.locator('.toast', { hasText: 'Imported' });
    await toast.waitFor({ timeout: 60_000 });
    expect(await toast.innerText()).toContain('backup keys installed for offsite');
    await page.click('[data-nav="backups"]');
    await page.waitForSelector(`[data-key-target="offsite"] [data-testid="key-recipient"]:text-is("${recipientA}")`, { timeout: 20_000 });
    expect(errors).toEqual([]);
  }, 240_000);
});
