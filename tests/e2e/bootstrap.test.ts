import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Testbed, type TestServer } from '../testbed/index.ts';
import { launchBrowser, openApp, screenshot } from '../helpers/browser.ts';
import { addServer } from '../helpers/servers.ts';
import { startWebProcess, type WebProcess } from '../helpers/web-process.ts';

// The Docker install shown as a long operation (the shared LongOperation view: step, progress bar, log).
describe('installing Docker from the server page (Chromium, web mode, a server without Docker)', () => {
  let bed: Testbed;
  let bare: TestServer;
  let web: WebProcess;
  let browser: Browser;
  let serverId: string;

  beforeAll(async () => {
    bed = await Testbed.create({ prefix: 'e2eboot' });
    const mirror = await bed.aptMirror(['docker.io']);
    bare = await bed.addServer({ name: 'bare', docker: false, aptMirror: mirror });
    // dpkg waits 10 s, so the page is seen mid-install whatever the machine's load
    await bare.sh(`echo 'DPkg::Pre-Invoke { "sleep 10"; };' > /etc/apt/apt.conf.d/99openpanel-test-slow`, { check: true });
    web = await startWebProcess();
    const { client, close } = await web.client();
    serverId = (await addServer(client, bare, { kind: 'sudo', name: 'bare' })).id;
    close();
    browser = await launchBrowser();
  }, 600_000);
  afterAll(async () => {
    await browser?.close();
    await web?.stop();
    await bed?.teardown();
  });

  it('shows the step, a moving progress bar and the log while installing, then Docker is there', { timeout: 600_000 }, async () => {
    const { page, errors } = await openApp(browser, web.url);
    await page.goto(`${web.url.replace(/#.*/, '')}#/servers/${serverId}`);
    await page.waitForSelector('[data-testid="docker-version"]:has-text("not reachable")', { timeout: 60_000 });
    await page.click('[data-testid="bootstrap"] button:has-text("Install Docker")');
    await page.waitForSelector('[data-testid="bootstrap-phase"]:has-text("install docker.io")', { timeout: 120_000 });
    expect(await page.innerText('[data-testid="bootstrap-phase"]')).toContain('installing');
    const mid = Number(await page.getAttribute('[data-testid="bootstrap"] [role="progressbar"]', 'aria-valuenow'));
    expect(mid).toBeGreaterThan(5);
    expect(mid).toBeLessThan(100);
    expect(await page.innerText('[data-testid="bootstrap"] pre')).toContain('openpanel: step apt-update');
    await screenshot(page, 'bootstrap-installing');
    // done: the panel goes away with the refreshed facts, which name the Docker version
    await page.waitForSelector('[data-testid="bootstrap"]', { state: 'detached', timeout: 300_000 });
    expect(await page.innerText('[data-testid="docker-version"]')).toMatch(/^\d+\.\S+ · /);
    expect(errors).toEqual([]);
  });
});
