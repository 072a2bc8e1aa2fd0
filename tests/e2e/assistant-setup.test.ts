import { createServer } from 'node:net';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUSYBOX_TAG, Testbed, type TestServer } from '../testbed/index.ts';
import { docScreenshot, launchBrowser, openApp, screenshot } from '../helpers/browser.ts';
import { addServer } from '../helpers/servers.ts';
import { startWebProcess, type WebProcess } from '../helpers/web-process.ts';
import { startOllamaDouble, type ProtocolDouble } from '../helpers/ai-servers/index.ts';

/** A loopback port nothing listens on (taken from the OS, then released). */
async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

// The assistant with no model reachable: guidance, Explain disabled with the reason, one clear error; then Ollama
// appears on the configured port, Test says so, and Explain works.
describe('assistant without a model (Chromium, web mode, Ollama double on loopback)', () => {
  let bed: Testbed;
  let s: TestServer;
  let web: WebProcess;
  let browser: Browser;
  let ollama: ProtocolDouble | undefined;
  let port: number;

  beforeAll(async () => {
    bed = await Testbed.create({ prefix: 'e2enoai' });
    s = await bed.addServer({ name: 'noai', images: ['busybox'] });
    await s.exec(['docker', 'run', '--name', 'e2e-exited', BUSYBOX_TAG, 'sh', '-c', 'echo "fatal: e2e crash"; exit 3'], { timeoutMs: 60_000 });
    web = await startWebProcess();
    const { client, close } = await web.client();
    await addServer(client, s, { name: 'noai' });
    port = await closedPort();
    const current = await client.assistant.settings();
    await client.assistant.updateSettings({ providers: { ...current.providers, ollama: { ...current.providers.ollama, baseUrl: `http://127.0.0.1:${port}` } }, fallbackOrder: ['ollama', 'groq', 'gemini'] });
    close();
    browser = await launchBrowser();
  }, 180_000);
  afterAll(async () => {
    await browser?.close();
    await web?.stop();
    await ollama?.close();
    await bed?.teardown();
  });

  const explainButton = (page: Page) => page.locator('tr', { hasText: 'e2e-exited' }).locator('[data-testid="explain-container"]');

  it('shows setup guidance, disables Explain with the reason, and asking gives one clear error', async () => {
    const { page, errors } = await openApp(browser, web.url);
    await page.click('[data-nav="assistant"]');
    const guide = page.locator('[data-testid="ai-setup"]');
    await guide.waitFor({ timeout: 30_000 });
    const reason = await page.innerText('[data-testid="ai-setup-reason"]');
    expect(reason).toContain(`Ollama at http://127.0.0.1:${port}: not reachable`);
    expect(reason).toMatch(/Groq: no API key/);
    expect(reason).toMatch(/Gemini: no API key/);
    const text = await guide.innerText();
    expect(text).toMatch(/install it from https:\/\/ollama\.com\/download/);
    expect(text).toContain('ollama pull qwen2.5-coder:7b');
    expect(text).toMatch(/Gemini or Groq API key/);
    await docScreenshot(page, 'assistant-setup');

    // Asking anyway: one error naming what is missing; no fallback notes, no stored error message.
    await page.click('[data-testid="new-conversation"]');
    await page.fill('textarea[aria-label="Message"]', 'Why did my container exit?');
    await page.click('[data-testid="send"]');
    const askError = page.locator('[data-testid="ask-error"]');
    await askError.waitFor({ timeout: 30_000 });
    expect(await askError.innerText()).toMatch(/^No AI provider is available\. Ollama at .*not reachable.* Set one up/);
    await page.waitForTimeout(1000);
    expect(await page.locator('[role="alert"], .error-text').count()).toBe(1);
    expect(await page.locator('.chat-notes li').count()).toBe(0);

    // Explain on the exited container is disabled and says why.
    await page.click('[data-nav="containers"]');
    const explain = explainButton(page);
    await explain.waitFor({ timeout: 30_000 });
    expect(await explain.evaluate((el) => el.tagName)).toBe('BUTTON');
    expect(await explain.isDisabled()).toBe(true);
    expect(await explain.getAttribute('title')).toMatch(/^No AI model is available\. Ollama at .*not reachable/);
    expect(await page.locator('tr', { hasText: 'e2e-exited' }).locator('[data-testid="explain-container-why"]').innerText()).toMatch(/no AI model/);
    expect(errors).toEqual([]);
  });

  it('AI settings are on the Settings page; once Ollama runs, Test says "reachable, model X" and Explain is enabled', async () => {
    const { page, errors } = await openApp(browser, web.url);
    await page.click('[data-nav="settings"]');
    const card = page.locator('[data-testid="settings-assistant"]');
    await card.waitFor({ timeout: 30_000 });
    expect(await card.locator('#ollama-url').inputValue()).toBe(`http://127.0.0.1:${port}`);
    // Test from Settings before Ollama runs: it really asks, and says it is not reachable.
    await card.locator('[data-testid="ai-test"]').click();
    await card.locator('[data-testid="ai-test-results"] [data-provider="ollama"][data-ok="false"]').waitFor({ timeout: 30_000 });
    expect(await card.locator('[data-testid="ai-test-results"] [data-provider="ollama"]').innerText()).toMatch(/not reachable/);

    ollama = await startOllamaDouble({ port, models: ['qwen2.5-coder:7b'] });
    const tagsBefore = ollama.requests.filter((r) => r.path === '/api/tags').length;
    await page.click('[data-nav="assistant"]');
    await page.locator('[data-testid="ai-setup"]').waitFor();
    await page.click('[data-testid="ai-setup"] [data-testid="ai-test"]');
    const result = page.locator('[data-testid="ai-setup"] [data-testid="ai-test-results"] [data-provider="ollama"][data-ok="true"]');
    await result.waitFor({ timeout: 30_000 });
    expect(await result.innerText()).toContain('Ollama: reachable, model qwen2.5-coder:7b');
    expect(ollama.requests.filter((r) => r.path === '/api/tags').length).toBeGreaterThan(tagsBefore);
    await screenshot(page, 'assistant-setup-tested');

    await page.click('[data-nav="containers"]');
    const explain = explainButton(page);
    await explain.waitFor({ timeout: 30_000 });
    expect(await explain.evaluate((el) => el.tagName)).toBe('A');
    expect(await explain.getAttribute('href')).toMatch(/^#\/assistant\?/);
    expect(errors).toEqual([]);
  });
});
