import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { BUSYBOX_TAG, Testbed, type TestServer } from '../testbed/index.ts';
import { launchBrowser, publishDocScreenshot, screenshot, watchErrors } from '../helpers/browser.ts';
import { startDoubles, useDoubles, type Doubles } from '../helpers/ai-servers/index.ts';
import { addServer } from '../helpers/servers.ts';
import { startWebProcess, type WebProcess } from '../helpers/web-process.ts';
import { followDeploy, getByHost, GitRepo, loadShipImages, SAMPLE_DOCKERFILE, setupProxy } from '../integration/deploy-fixture.ts';

// The assistant's app flows in Chromium against a real test server: Apps → Generate Dockerfile → diff → Apply →
// Deploy now; a failed deploy and an exited container explained with one click; a proposed command declined
// (audited) and run after typing the server's name. Models: the Ollama protocol double.

const GENERATED = 'FROM busybox:latest\nCOPY index.html /www/index.html\nRUN echo "generated in e2e" > /www/generated.txt\nCMD ["sh", "-c", "trap \'exit 0\' TERM; httpd -f -p 8080 -h /www & wait"]\n';
const ANSWER = ['A small image for this static site:\n\n', '```dockerfile\n', GENERATED, '```\n\n', '```dockerignore\n.git\n```\n'];
const SECRET = 'e2e-kc-Secret-4410';

describe('assistant on apps in Chromium (real test server, Ollama protocol double)', () => {
  let bed: Testbed;
  let s: TestServer;
  let web: WebProcess;
  let browser: Browser;
  let repo: GitRepo;
  let d: Doubles;
  let api: Awaited<ReturnType<WebProcess['client']>>;
  let serverId: string;
  let siteId: string;

  beforeAll(async () => {
    bed = await Testbed.create({ prefix: 'e2eai' });
    s = await bed.addServer({ name: 'ai-ship' });
    const images = await loadShipImages(s);
    repo = new GitRepo();
    repo.commit({ 'Dockerfile': SAMPLE_DOCKERFILE, 'index.html': 'site\n' }, 'site');
    repo.git(['checkout', '-q', '-b', 'broken']);
    writeFileSync(join(repo.work, 'Dockerfile'), `FROM busybox:latest\nRUN echo "login ${SECRET} refused" && echo "fatal: e2e build step failed" && exit 7\n`);
    repo.git(['commit', '-q', '-am', 'broken']);
    repo.git(['push', '-q', 'origin', 'broken']);
    repo.git(['checkout', '-q', 'main']);
    await repo.serve(bed);
    d = await startDoubles();
    web = await startWebProcess();
    api = await web.client();
    await useDoubles(api.client, d);
    await api.client.assistant.updateSettings({ fallbackOrder: ['ollama'], timeoutMs: 20_000 });
    serverId = (await addServer(api.client, s, { name: 'ai-ship' })).id;
    await setupProxy(api.client, serverId, images);
    siteId = (await api.client.apps.create({ name: 'site', serverId, source: { kind: 'git', url: repo.url, branch: 'main' }, port: 8080, domains: [{ host: 'site.e2e.test', tls: false }] })).id;
    browser = await launchBrowser();
  }, 600_000);
  afterAll(async () => {
    api?.close();
    await browser?.close();
    await web?.stop();
    await d?.close();
    repo?.close();
    await bed?.teardown();
  });
  beforeEach(() => d?.reset());

  async function open(nav: string): Promise<{ page: Page; errors: string[] }> {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const errors = watchErrors(page);
    await page.goto(web.url);
    await page.waitForSelector('nav[aria-label="Main"]');
    await page.click(`[data-nav="${nav}"]`);
    return { page, errors };
  }

  it('Apps → Generate Dockerfile → diff → Apply → Deploy now', async () => {
    const { page, errors } = await open('apps');
    d.ollama.queue.push({ kind: 'stream', tokens: ANSWER, delayMs: 30 });
    await page.click('[data-testid="generate-dockerfile-link"]');
    const card = page.locator('[data-testid="dockerfile-proposal"]');
    await card.waitFor({ timeout: 120_000 });
    // The diff is against the Dockerfile in git (cloned on the server), and says where Apply writes.
    expect(await card.locator('.diff-add').allInnerTexts()).toContain('+ RUN echo "generated in e2e" > /www/generated.txt');
    expect(await card.locator('.diff-same').allInnerTexts()).toContain('  FROM busybox:latest');
    expect(await card.innerText()).toContain('app site: Dockerfile override');
    expect((await api.client.apps.get({ id: siteId })).dockerfileOverride).toBeNull();
    await page.click('[data-testid="apply-dockerfile"]');
    await page.locator('[data-testid="deploy-now-button"]').waitFor();
    expect((await api.client.apps.get({ id: siteId })).dockerfileOverride?.dockerfile).toBe(GENERATED);
    await page.click('[data-testid="deploy-now-button"]');
    await page.locator('[data-testid="deploy-now-status"]', { hasText: 'deploy succeeded' }).waitFor({ timeout: 180_000 });
    expect(await getByHost(s.host, 'site.e2e.test', '/generated.txt')).toEqual({ status: 200, body: 'generated in e2e\n' });
    const shot = await screenshot(page, 'assistant-apply-deploy');
    publishDocScreenshot(shot, 'assistant-apps');
    expect(errors).toEqual([]);
  }, 400_000);

  it('explains a failed deploy from the Apps page with one click (redacted log lines)', async () => {
    const broken = await api.client.apps.create({ name: 'broken', serverId, source: { kind: 'git', url: repo.url, branch: 'broken' }, port: 8080, env: { DB_PASSWORD: SECRET } });
    const started = await api.client.apps.deploy({ id: broken.id });
    expect((await followDeploy(api.client, started.id, 180_000)).deploy.status).toBe('failed');
    const { page, errors } = await open('apps');
    await page.click('[data-testid="apps-list"] button:has-text("broken")');
    d.ollama.queue.push({ kind: 'stream', tokens: ['The RUN step exits with 7: ', 'the build script fails on purpose.'] });
    await page.click('[data-testid="explain-deploy"]');
    await page.locator('.chat-msg.assistant[data-status="complete"]', { hasText: 'the build script fails on purpose.' }).waitFor({ timeout: 60_000 });
    const body = d.ollama.chats().at(-1)!.body;
    expect(body).toContain('fatal: e2e build step failed');
    expect(body).not.toContain(SECRET);
    expect(errors).toEqual([]);
  }, 400_000);

  it('explains an exited container from the Containers page, and a proposed command is declined (audited) or run after naming the server', async () => {
    await s.exec(['docker', 'run', '--name', 'e2e-crashy', BUSYBOX_TAG, 'sh', '-c', 'echo "panic: e2e worker died"; exit 3'], { timeoutMs: 60_000 });
    const { page, errors } = await open('containers');
    d.ollama.queue.push({ kind: 'stream', tokens: ['The worker panicked. Look at it with:\n\n', '```sh\ndocker ps -a\n```\n'] });
    await page.locator('tr', { hasText: 'e2e-crashy' }).locator('[data-testid="explain-container"]').click({ timeout: 30_000 });
    const answer = page.locator('.chat-msg.assistant[data-status="complete"]', { hasText: 'The worker panicked.' });
    await answer.waitFor({ timeout: 60_000 });
    expect(d.ollama.chats().at(-1)!.body).toContain('panic: e2e worker died');

    // Declined: nothing runs, the decision is in the audit log with the server and argv.
    await answer.locator('[data-testid="propose-run"]').click();
    await page.locator('[data-testid="run-command-dialog"]').waitFor();
    expect(await page.innerText('[data-testid="run-command-dialog"] h2')).toBe('Run on ai-ship?');
    await page.click('[data-testid="run-cancel"]');
    await expect
      .poll(async () => (await api.client.activity.list({ action: 'assistant.decide' })).find((e) => e.input?.includes('"declined"'))?.input ?? '', { timeout: 5000 })
      .toContain('"argv":["docker","ps","-a"]');
    expect((await api.client.activity.list({ action: 'assistant.command' })).length).toBe(0);

    // Run: only after typing the server's name; the output is shown and the run is audited.
    await answer.locator('[data-testid="propose-run"]').click();
    const run = page.locator('[data-testid="run-command-dialog"] button.primary');
    expect(await run.isDisabled()).toBe(true);
    await page.fill('[data-testid="run-command-dialog"] input[aria-label="Server name"]', 'ai-ship');
    await run.click();
    const result = page.locator('[data-testid="run-result"]');
    await result.waitFor({ timeout: 30_000 });
    expect(await result.innerText()).toContain('exit 0');
    expect(await result.innerText()).toContain('e2e-crashy');
    expect((await api.client.activity.list({ action: 'assistant.command' }))[0]?.input).toContain('"server":"ai-ship"');
    await screenshot(page, 'assistant-run-command');
    expect(errors).toEqual([]);
  }, 300_000);
});
