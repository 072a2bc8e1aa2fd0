import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { launchBrowser, publishDocScreenshot, screenshot, watchErrors } from '../helpers/browser.ts';
import { startWebProcess, type WebProcess } from '../helpers/web-process.ts';
import { startDoubles, useDoubles, type Doubles } from '../helpers/ai-servers/index.ts';

// The assistant in Chromium against the built app in web mode; the models are local protocol doubles,
// configured through the API exactly as a user would in the provider settings.
describe('assistant in Chromium (web mode, protocol doubles)', () => {
  let web: WebProcess;
  let browser: Browser;
  let d: Doubles;
  let api: Awaited<ReturnType<WebProcess['client']>>;

  beforeAll(async () => {
    d = await startDoubles();
    web = await startWebProcess();
    api = await web.client();
    await useDoubles(api.client, d, { groq: 'gsk_e2eGroqKey0123456789abcdefABCD' });
    browser = await launchBrowser();
  });
  afterAll(async () => {
    api?.close();
    await browser?.close();
    await web?.stop();
    await d?.close();
  });
  beforeEach(() => d.reset());

  async function open(): Promise<{ page: Page; errors: string[] }> {
    const page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
    const errors = watchErrors(page);
    await page.goto(web.url);
    await page.waitForSelector('nav[aria-label="Main"]');
    await page.click('[data-nav="assistant"]');
    await page.waitForSelector('[data-testid="provider-status"] .badge.ok');
    return { page, errors };
  }

  async function newConversation(page: Page): Promise<void> {
    const before = await page.locator('.conversation-list li').count();
    await page.click('[data-testid="new-conversation"]');
    await page.waitForFunction((n) => document.querySelectorAll('.conversation-list li').length > n, before);
  }

  it('streams an answer token by token, renders markdown safely, and stop cancels the request', async () => {
    const { page, errors } = await open();
    await newConversation(page);
    const tokens = ['To list ', 'containers, ', 'run:\n\n', '```sh\n', 'docker ps -a\n', '```\n\n', 'It shows **all** of them ', '<img src=x onerror="window.__pwned=1">', ' done.'];
    d.ollama.queue.push({ kind: 'stream', tokens, delayMs: 250 });
    await page.fill('textarea[aria-label="Message"]', 'How do I list containers?');
    await page.click('[data-testid="send"]');
    // Sample the streaming answer: it must grow through several intermediate states.
    const seen = new Set<string>();
    const until = Date.now() + 15_000;
    while (Date.now() < until) {
      const t = await page.evaluate(() => document.querySelector('[data-testid="streaming-answer"] .markdown')?.textContent ?? '');
      if (t) seen.add(t);
      if (await page.locator('.chat-msg.assistant[data-status="complete"]').count()) break;
      await page.waitForTimeout(60);
    }
    expect(seen.size).toBeGreaterThanOrEqual(4);
    const final = page.locator('.chat-msg.assistant[data-status="complete"]');
    await final.waitFor();
    expect(await final.locator('pre code').innerText()).toBe('docker ps -a');
    expect(await final.locator('strong').innerText()).toBe('all');
    // Raw HTML in an answer is text, never markup.
    expect(await final.innerText()).toContain('<img src=x');
    expect(await final.locator('img').count()).toBe(0);
    expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();

    // Stop: a long, slow answer is cut; the provider request is closed; the partial answer is kept as stopped.
    d.ollama.queue.push({ kind: 'stream', tokens: Array.from({ length: 200 }, (_, i) => `word${i} `), delayMs: 100 });
    await page.fill('textarea[aria-label="Message"]', 'Write a long essay');
    await page.click('[data-testid="send"]');
    await page.waitForFunction(() => (document.querySelector('[data-testid="streaming-answer"] .markdown')?.textContent ?? '').includes('word3'));
    await page.click('[data-testid="stop"]');
    await page.locator('.chat-msg.assistant[data-status="stopped"]').waitFor();
    await page.locator('[data-testid="send"]').waitFor();
    const rec = d.ollama.chats().at(-1)!;
    await expect.poll(() => rec.aborted, { timeout: 5000 }).toBe(true);
    expect(rec.chunksSent).toBeLessThan(200);
    const stopped = await page.locator('.chat-msg.assistant[data-status="stopped"]').innerText();
    expect(stopped).toContain('word0');
    expect(stopped).not.toContain('word199');
    expect(errors).toEqual([]);
  });

  it('asks for consent, showing the exact redacted payload, before a cloud provider is used', async () => {
    await api.client.assistant.updateSettings({ fallbackOrder: ['groq', 'ollama'] });
    try {
      const { page, errors } = await open();
      await newConversation(page);
      d.groq.queue.push({ kind: 'stream', tokens: ['Answer ', 'from ', 'Groq.'], delayMs: 50 });
      await page.fill('textarea[aria-label="Message"]', 'Why is my app down? DB_PASSWORD=hunter2-e2e-secret');
      await page.click('[data-testid="send"]');
      await page.locator('[data-testid="consent-dialog"]').waitFor();
      const payload = await page.innerText('[data-testid="consent-payload"]');
      expect(payload).toContain('Why is my app down?');
      expect(payload).not.toContain('hunter2-e2e-secret');
      expect(payload).toContain('[REDACTED]');
      expect(d.groq.chats()).toHaveLength(0);
      await screenshot(page, 'assistant-consent');
      await page.click('[data-testid="consent-allow"]');
      await page.locator('.chat-msg.assistant[data-status="complete"]', { hasText: 'Answer from Groq.' }).waitFor();
      expect(d.groq.chats()).toHaveLength(1);
      expect(d.groq.chats()[0]!.body).not.toContain('hunter2-e2e-secret');
      // Consent is remembered for this conversation: the next question goes straight to Groq.
      d.groq.queue.push({ kind: 'stream', tokens: ['Again.'] });
      await page.fill('textarea[aria-label="Message"]', 'And now?');
      await page.click('[data-testid="send"]');
      await page.locator('.chat-msg.assistant', { hasText: 'Again.' }).waitFor();
      expect(await page.locator('[data-testid="consent-dialog"]').count()).toBe(0);
      const audit = await api.client.activity.list({ action: 'assistant.' });
      expect(audit.map((e) => e.action)).toEqual(expect.arrayContaining(['assistant.consent', 'assistant.request', 'assistant.answer']));
      const shot = await screenshot(page, 'assistant');
      publishDocScreenshot(shot, 'assistant');
      expect(errors).toEqual([]);
    } finally {
      await api.client.assistant.updateSettings({ fallbackOrder: ['ollama', 'groq', 'gemini'] });
    }
  });
});
