import { readFileSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUSYBOX_TAG, Testbed, type TestServer } from '../testbed/index.ts';
import { launchBrowser, openApp, publishDocScreenshot, screenshot } from '../helpers/browser.ts';
import { addServer } from '../helpers/servers.ts';
import { startWebProcess, type WebProcess } from '../helpers/web-process.ts';

describe('terminals in Chromium (web mode, real test server)', () => {
  let bed: Testbed;
  let web: WebProcess;
  let browser: Browser;
  let s: TestServer;

  beforeAll(async () => {
    bed = await Testbed.create({ prefix: 'e2eterm' });
    s = await bed.addServer({ name: 'e2e-term', images: ['busybox'] });
    await s.exec(['docker', 'run', '-d', '--name', 'shop', '--hostname', 'shophost', BUSYBOX_TAG, 'sleep', '3600'], { check: true });
    web = await startWebProcess();
    const { client, close } = await web.client();
    await addServer(client, s, { name: 'e2e-term' });
    close();
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await s?.restoreLink().catch(() => {});
    await browser?.close();
    await web?.stop();
    await bed?.teardown();
  });

  async function open(): Promise<{ page: Page; errors: string[] }> {
    const { page, errors } = await openApp(browser, web.url);
    await page.click('[data-nav="terminals"]');
    await page.waitForSelector('form[aria-label="New terminal"]');
    return { page, errors };
  }

  const screenText = (page: Page) => page.innerText('[data-testid="terminal"] .xterm-rows');
  const waitText = (page: Page, re: RegExp) =>
    page.waitForFunction((src) => new RegExp(src).test(document.querySelector('[data-testid="terminal"] .xterm-rows')?.textContent ?? ''), re.source, { timeout: 20_000 });

  it('opens a shell on the server, types into it, survives a reload, and shows the exit', async () => {
    const { page, errors } = await open();
    await page.selectOption('[data-testid="terminal-server"]', { label: 'e2e-term' });
    await page.click('text=Open terminal');
    await page.waitForSelector('[data-testid="terminal"][data-state="open"] .xterm-rows');
    await page.click('[data-testid="terminal"] .terminal-host');
    await page.keyboard.type('echo "answer=$((6*7))"; stty size');
    await page.keyboard.press('Enter');
    await waitText(page, /answer=42/);
    // The terminal was fitted to the page: far wider than the 80-column default.
    const size = /(\d+) (\d+)\s*$/m.exec((await screenText(page)).split('answer=42')[1] ?? '');
    expect(Number(size?.[2]), await screenText(page)).toBeGreaterThan(100);
    const shot = await screenshot(page, 'terminal-server');
    publishDocScreenshot(shot, 'terminal');

    // Resizing the window resizes the remote pty.
    await page.setViewportSize({ width: 900, height: 600 });
    let small: RegExpExecArray | null = null;
    for (let i = 0; i < 20; i++) {
      await page.keyboard.type(`clear; echo "size${i}=$(stty size)"`);
      await page.keyboard.press('Enter');
      await waitText(page, new RegExp(`size${i}=\\d+ \\d+`));
      small = new RegExp(`size${i}=(\\d+) (\\d+)`).exec(await screenText(page));
      if (Number(small?.[2]) < Number(size?.[2])) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(Number(small?.[2])).toBeLessThan(Number(size?.[2]));
    expect(Number(small?.[2])).toBeGreaterThan(40);

    // A 5 s link cut, under the default keep-alive limit (5 s x 3): a stall, not a drop. Prove the cut was real
    // (an API call gets no answer) and that the connection stayed (no state change), then the same shell works.
    const { client, close } = await web.client();
    const serverId = (await client.servers.list()).find((x) => x.name === 'e2e-term')!.id;
    const states: string[] = [];
    const ac = new AbortController();
    const watching = (async () => {
      for await (const st of await client.servers.watchStatus(undefined, { signal: ac.signal })) if (st.serverId === serverId) states.push(st.state);
    })().catch(() => undefined);
    await s.cutLink();
    const cutAt = Date.now();
    await page.keyboard.type('echo "during=$((7*7))"');
    await page.keyboard.press('Enter');
    const probe = await Promise.race([client.servers.facts({ id: serverId }).then(() => 'answered', () => 'failed'), new Promise((r) => setTimeout(() => r('no answer'), 1_500))]);
    expect(probe).toBe('no answer');
    await new Promise((r) => setTimeout(r, Math.max(0, 5_000 - (Date.now() - cutAt))));
    await s.restoreLink();
    await waitText(page, /during=49/);
    await page.keyboard.type('echo "after=$((8*8))"');
    await page.keyboard.press('Enter');
    await waitText(page, /after=64/);
    expect(states.filter((st) => st !== 'ready')).toEqual([]);
    ac.abort();
    await watching;
    close();

    // A reload reattaches to the same session and replays its output.
    const hash = new URL(page.url()).hash;
    expect(hash).toMatch(/^#\/terminals\/[0-9a-f-]{36}$/);
    await page.reload();
    await page.waitForSelector('[data-testid="terminal"] .xterm-rows');
    await waitText(page, /after=64/);
    await page.click('[data-testid="terminal"] .terminal-host');
    await page.keyboard.type('exit 5');
    await page.keyboard.press('Enter');
    await page.waitForSelector('[data-testid="terminal"][data-state="exited"]', { timeout: 20_000 });
    expect(await page.innerText('.terminal-ended')).toContain('exited with code 5');
    expect(errors).toEqual([]);
    await page.close();
  });

  it('a cut past the keep-alive limit drops the connection: the terminal says so, the app reconnects by itself, a new terminal works', async () => {
    const { client, close } = await web.client();
    const serverId = (await client.servers.list()).find((x) => x.name === 'e2e-term')!.id;
    const states: string[] = [];
    const ac = new AbortController();
    const watching = (async () => {
      for await (const st of await client.servers.watchStatus(undefined, { signal: ac.signal })) if (st.serverId === serverId) states.push(st.state);
    })().catch(() => undefined);
    const { page, errors } = await open();
    await page.selectOption('[data-testid="terminal-server"]', { label: 'e2e-term' });
    await page.click('text=Open terminal');
    await page.waitForSelector('[data-testid="terminal"][data-state="open"] .xterm-rows');
    await page.click('[data-testid="terminal"] .terminal-host');
    await page.keyboard.type('echo "up=$((2*3))"');
    await page.keyboard.press('Enter');
    await waitText(page, /up=6/);
    const logins = () => (readFileSync(s.sshdLog, 'utf8').match(/Accepted publickey for root/g) ?? []).length;
    const loginsBefore = logins();
    await s.cutLink();
    try {
      // Keep-alive 5 s x 3: the app declares the link dead within ~25 s.
      await page.waitForSelector('[data-testid="terminal"][data-state="exited"]', { timeout: 45_000 });
      expect(await page.innerText('.terminal-ended')).toMatch(/SSH connection .* was lost/);
      expect(states).toContain('reconnecting');
    } finally {
      await s.restoreLink();
    }
    const deadline = Date.now() + 60_000;
    while (states.at(-1) !== 'ready' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
    expect(states.at(-1)).toBe('ready');
    ac.abort();
    await watching;
    close();
    expect(logins()).toBeGreaterThan(loginsBefore); // a new SSH connection really was made
    await page.click('text=Open terminal');
    await page.waitForSelector('[data-testid="terminal"][data-state="open"] .xterm-rows');
    await page.click('[data-testid="terminal"] .terminal-host');
    await page.keyboard.type('echo "back=$((3*4))"');
    await page.keyboard.press('Enter');
    await waitText(page, /back=12/);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('opens a shell inside a running container, then closes its tab', async () => {
    const { page, errors } = await open();
    await page.selectOption('[data-testid="terminal-server"]', { label: 'e2e-term' });
    await page.waitForSelector('[data-testid="terminal-target"] option[value="shop"]', { state: 'attached' });
    await page.selectOption('[data-testid="terminal-target"]', 'shop');
    await page.click('text=Open terminal');
    await page.waitForSelector('.terminal-tab.on >> text=shop on e2e-term');
    await page.click('[data-testid="terminal"] .terminal-host');
    await page.keyboard.type('hostname; echo in-$((5*5))');
    await page.keyboard.press('Enter');
    await waitText(page, /in-25/);
    expect(await screenText(page)).toContain('shophost');
    await screenshot(page, 'terminal-container');
    const tabs = await page.locator('.terminal-tab').count();
    await page.click('.terminal-tab.on .terminal-close');
    await page.waitForFunction((n) => document.querySelectorAll('.terminal-tab').length === n - 1, tabs);
    expect(errors).toEqual([]);
    await page.close();
  });
});
