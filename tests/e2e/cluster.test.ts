import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ContractRouterClient } from '@orpc/contract';
import type { Contract } from '../../src/shared/contract/index.ts';
import { BUSYBOX_TAG, Testbed, type TestServer } from '../testbed/index.ts';
import { docScreenshot } from '../helpers/browser.ts';
import { openAppForScan, seriousViolations, seriousViolationsInBothThemes } from '../helpers/a11y.ts';
import { launchBrowser } from '../helpers/browser.ts';
import { loadRegistryStandin, registryImageMapping } from '../helpers/registry-standin.ts';
import { addServer } from '../helpers/servers.ts';
import { startWebProcess, type WebProcess } from '../helpers/web-process.ts';

/** Inside the bed's /16, clear of its links and Docker ranges (see tests/integration/cluster.test.ts). */
const POOL = '10.231.240.0/20';
const WEB = 'openpanel-test/web';
const REGISTRY_PORT = 5000;

/** v1 and v2 answer "<version> <hostname>" on 8080 (as in tests/integration/cluster-apps.test.ts), made on each node. */
async function makeImages(s: TestServer): Promise<void> {
  const cmd = JSON.stringify(['sh', '-c', 'echo "$(cat /version) $(hostname)" > /www/index.html && exec httpd -f -p 8080 -h /www']);
  for (const tag of ['v1', 'v2']) {
    const name = `mk-${tag}`;
    await s.exec(['docker', 'run', '--name', name, BUSYBOX_TAG, 'sh', '-c', `mkdir -p /www && echo ${tag} > /version`], { check: true });
    await s.exec(['docker', 'commit', '--change', `CMD ${cmd}`, name, `${WEB}:${tag}`], { check: true });
    await s.exec(['docker', 'rm', name], { check: true });
  }
}

describe('clusters in Chromium: create a swarm of three, see nodes and quorum, drain one', () => {
  let bed: Testbed;
  let servers: TestServer[];
  let web: WebProcess;
  let browser: Browser;
  let page: Page;
  let errors: string[];
  let client: ContractRouterClient<Contract>;
  let closeClient: () => void;
  let serverIds: Record<string, string>;

  beforeAll(async () => {
    bed = await Testbed.create({ prefix: 'e2eclu' });
    servers = await bed.addServers([
      { name: 'a', images: ['busybox'] },
      { name: 'b', images: ['busybox'] },
      { name: 'c', images: ['busybox'] },
    ]);
    const images = Promise.all([...servers.map(makeImages), loadRegistryStandin(servers[0]!)]);
    images.catch(() => undefined);
    web = await startWebProcess();
    ({ client, close: closeClient } = await web.client());
    serverIds = {};
    for (const s of servers) serverIds[s.name] = (await addServer(client, s, { name: s.name })).id;
    await client.proxy.updateSettings({
      serverId: serverIds.a!,
      settings: { driver: 'caddy', dataDir: '/tmp/openpanel', httpsRedirect: false, imageOverrides: { prefix: null, images: registryImageMapping() } },
    });
    browser = await launchBrowser();
    ({ page, errors } = await openAppForScan(browser, web.url, { width: 1400, height: 900 }));
    await images;
  }, 300_000);
  afterAll(async () => {
    closeClient?.();
    // The bed's servers share this machine's /etc: the registry's CA file is removed here.
    if (servers?.[0]) await servers[0].exec(['rm', '-rf', `/etc/docker/certs.d/${servers[0].host}:${REGISTRY_PORT}`]).catch(() => undefined);
    await browser?.close();
    await web?.stop();
    await bed?.teardown();
  });

  const row = (name: string) => page.locator(`[data-testid="cluster-nodes"] tr[data-node="${name}"]`);

  it('creates the cluster from the form and shows nodes with their roles and the quorum', async () => {
    await page.click('[data-nav="cluster"]');
    expect(await page.locator('[data-testid="empty-state"]').innerText()).toMatch(/No clusters yet\./);
    await page.click('[data-testid="empty-state"] button:has-text("Create cluster")');
    const dialog = page.locator('[data-testid="create-cluster"]');
    await dialog.waitFor();
    await page.fill('input[aria-label="Cluster name"]', 'prod');
    for (const name of ['a', 'b', 'c']) await page.check(`input[aria-label="Include ${name}"]`);
    // The addresses were read from the servers: the one the app connects to is suggested.
    await page.waitForFunction((host) => document.querySelector<HTMLInputElement>('input[aria-label="Advertise address of a"]')?.placeholder === host, servers[0]?.host, { timeout: 30_000 });
    expect(await page.inputValue('select[aria-label="Role of a"]')).toBe('manager');
    expect(await page.inputValue('select[aria-label="Role of b"]')).toBe('worker');
    await page.fill('input[aria-label="Address pool"]', POOL);
    expect(await seriousViolations(page)).toEqual([]);
    await page.click('[data-testid="create-cluster"] button:has-text("Create cluster")');
    await page.locator('[data-testid="cluster-detail"]').waitFor({ timeout: 90_000 });
    await row('c').waitFor({ timeout: 30_000 });
    for (const [name, role] of [['a', 'manager'], ['b', 'worker'], ['c', 'worker']] as const) {
      expect(await row(name).locator('[data-field="role"]').innerText()).toContain(role);
      expect(await row(name).locator('[data-field="status"]').innerText()).toContain('ready');
    }
    const quorum = await page.locator('[data-testid="quorum"]').innerText();
    expect(quorum).toContain('1 of 1 managers reachable; 1 needed for changes; tolerates 0 lost.');
    expect(quorum).toMatch(/One manager: if it is lost/);
    // The engines agree: a leads a swarm of three.
    const ls = await servers[0]!.exec(['docker', 'node', 'ls', '--format', '{{.Hostname}}'], { check: true });
    expect(ls.stdout.trim().split('\n').sort()).toEqual(['a', 'b', 'c']);
  }, 180_000);

  it('drains a node and activates it again', async () => {
    await page.click('button[aria-label="Drain c"]');
    await page.locator('button[aria-label="Activate c"]').waitFor({ timeout: 30_000 });
    expect(await row('c').locator('[data-field="availability"]').innerText()).toBe('drain');
    expect((await servers[0]!.exec(['docker', 'node', 'inspect', 'c', '--format', '{{.Spec.Availability}}'], { check: true })).stdout.trim()).toBe('drain');
    const found = await seriousViolationsInBothThemes(page);
    expect(found).toEqual({ light: [], dark: [] });
    await docScreenshot(page, 'cluster');
    await page.click('button[aria-label="Activate c"]');
    await page.locator('button[aria-label="Drain c"]').waitFor({ timeout: 30_000 });
    expect((await servers[0]!.exec(['docker', 'node', 'inspect', 'c', '--format', '{{.Spec.Availability}}'], { check: true })).stdout.trim()).toBe('active');
  }, 120_000);

  it('the dashboard shows the cluster card', async () => {
    await page.click('[data-nav="servers"]');
    const card = page.locator('[data-testid="cluster-cards"] [data-cluster="prod"]');
    await page.waitForFunction(() => /3 of 3 nodes ready/.test(document.querySelector('[data-cluster="prod"]')?.textContent ?? ''), null, { timeout: 30_000 });
    expect(await card.innerText()).toMatch(/3 of 3 nodes ready · 1\/1 managers/);
    // Chromium aborts a request in flight when an interface appears on this machine (other test beds' veths).
    expect(errors.filter((e) => !e.includes('net::ERR_NETWORK_CHANGED'))).toEqual([]);
  }, 60_000);

  const a = () => servers[0]!;
  let clusterId = '';
  /** The app page's running/desired figure; reaching it takes the page's own refresh while Swarm moves tasks. */
  const running = (n: number) =>
    page.waitForFunction((want) => document.querySelector('[data-testid="capp-running"]')?.textContent === want, `${n}/${n} running`, { timeout: 60_000 });
  const meantToRun = () => page.locator('[data-testid="capp-tasks"] tr[data-task-desired="running"]');
  const serviceImage = async () => (await a().exec(['docker', 'service', 'inspect', 'op-web', '--format', '{{.Spec.TaskTemplate.ContainerSpec.Image}}'], { check: true })).stdout.trim();

  it('deploys an app from the form: the contract’s field errors first, then 3 replicas on 3 nodes', async () => {
    clusterId = (await client.cluster.list())[0]!.id;
    await page.click('[data-cluster="prod"]');
    await page.click('[role="tab"][data-tab="apps"]');
    await page.locator('[data-testid="cluster-apps"] [data-testid="empty-state"]').waitFor();
    expect(await page.evaluate(() => window.location.hash)).toBe(`#/cluster/${clusterId}/apps`);
    await page.click('[data-testid="capp-new"]');
    await page.locator('[data-testid="cluster-app-form"]').waitFor();
    await page.fill('[data-testid="capp-name"]', 'web');
    await page.fill('[data-testid="capp-image"]', `${WEB}:v1`);
    await page.fill('[data-testid="capp-replicas"]', '1000');
    await page.fill('[data-testid="capp-port"]', '8080');
    await page.click('[data-testid="capp-constraint-add"]');
    await page.fill('[data-testid="capp-constraint-0"]', 'node.zone==eu');
    // From git, with no repository, builder or registry chosen: each named next to its field.
    await page.selectOption('[data-testid="capp-source"]', 'git');
    await page.click('[data-testid="capp-deploy"]');
    await page.locator('[data-testid="error-source.url"]').waitFor({ timeout: 30_000 });
    expect(await page.locator('[data-testid="error-source.url"]').innerText()).toMatch(/^expected/);
    expect(await page.locator('[data-testid="error-builderServerId"]').isVisible()).toBe(true);
    expect(await page.locator('[data-testid="error-registryId"]').isVisible()).toBe(true);
    await page.selectOption('[data-testid="capp-source"]', 'image');
    await page.click('[data-testid="capp-deploy"]');
    await page.locator('[data-testid="error-source.url"]').waitFor({ state: 'detached', timeout: 30_000 });
    await page.locator('[data-testid="error-replicas"]').waitFor({ timeout: 30_000 });
    expect(await page.locator('[data-testid="error-replicas"]').innerText()).toBe('expected a whole number from 0 to 100');
    expect(await page.locator('[data-testid="error-constraints[0]"]').innerText()).toMatch(/^expected node\.role, node\.hostname or node\.labels\.<key>, then == or !=/);
    expect(await seriousViolations(page)).toEqual([]);
    // Refused before anything reached a node.
    expect((await a().exec(['docker', 'service', 'ls', '-q'], { check: true })).stdout.trim()).toBe('');

    await page.fill('[data-testid="capp-replicas"]', '3');
    await page.click('button[aria-label="Remove constraint 1"]');
    await page.click('[data-testid="capp-deploy"]');
    await page.locator('[data-testid="cluster-app"][data-app="web"]').waitFor({ timeout: 60_000 });
    await running(3);
    const nodes = await page.locator('[data-testid="capp-tasks"] tr[data-task-state="running"][data-task-desired="running"]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-node')).sort());
    expect(nodes).toEqual(['a', 'b', 'c']);
    const ps = await a().exec(['docker', 'service', 'ps', 'op-web', '--filter', 'desired-state=running', '--format', '{{.Node}}'], { check: true });
    expect(ps.stdout.trim().split('\n').sort()).toEqual(['a', 'b', 'c']);
    // The logs of all tasks, merged through the manager, open from the app's page.
    await page.click('text=Logs of all tasks');
    await page.waitForFunction(() => location.hash.startsWith('#/logs?cluster='));
    await page.waitForFunction(() => document.querySelector('[data-testid="log-status"]')?.textContent === 'live', null, { timeout: 30_000 });
    await page.goBack();
    await page.locator('[data-testid="cluster-app"][data-app="web"]').waitFor({ timeout: 30_000 });
  }, 150_000);

  it('scales to 1, deploys v2 from the edit form, then rolls back to the first deploy', async () => {
    await page.fill('[data-testid="capp-scale-input"]', '1');
    await page.click('[data-testid="capp-scale"]');
    const confirm = page.locator('[data-testid="confirm-dialog"]');
    expect(await confirm.innerText()).toContain('Scale web to 1 replica?');
    await confirm.locator('button[type="submit"]').click();
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="capp-tasks"] tr[data-task-desired="running"]').length === 1, null, { timeout: 60_000 });
    await running(1);
    expect((await a().exec(['docker', 'service', 'inspect', 'op-web', '--format', '{{.Spec.Mode.Replicated.Replicas}}'], { check: true })).stdout.trim()).toBe('1');

    await page.click('a:has-text("Deploy new version")');
    await page.locator('[data-testid="cluster-app-form"]').waitFor();
    expect(await page.inputValue('[data-testid="capp-replicas"]')).toBe('1');
    expect(await page.inputValue('[data-testid="capp-port"]')).toBe('8080');
    await page.fill('[data-testid="capp-image"]', `${WEB}:v2`);
    await page.click('[data-testid="capp-deploy"]');
    await page.locator('[data-testid="capp-deploys"] tbody tr').nth(1).waitFor({ timeout: 60_000 });
    expect(await serviceImage()).toMatch(/^openpanel-test\/web:v2/);
    await page.waitForFunction(() => document.querySelector('[data-testid="capp-state"]')?.textContent === 'up to date', null, { timeout: 60_000 });

    const first = page.locator('[data-testid="capp-deploys"] tbody tr').last();
    const firstId = await first.getAttribute('data-deploy');
    await first.locator('button:has-text("Roll back")').click();
    expect(await confirm.innerText()).toContain(`Roll web back to ${firstId}?`);
    await confirm.locator('button[type="submit"]').click();
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="capp-deploys"] tbody tr').length === 3, null, { timeout: 60_000 });
    const newest = page.locator('[data-testid="capp-deploys"] tbody tr').first();
    expect(await newest.locator('td').nth(2).innerText()).toBe('rollback');
    expect(await newest.locator('td').nth(1).innerText()).toContain('web:v1');
    expect(await serviceImage()).toMatch(/^openpanel-test\/web:v1/);
    await page.waitForFunction(() => document.querySelector('[data-testid="capp-state"]')?.textContent === 'up to date', null, { timeout: 60_000 });
    await running(1);
    expect(await meantToRun().count()).toBe(1);
    // The old task has stopped: the page says Swarm is done moving tasks.
    await page.locator('[data-testid="cluster-app"] [aria-live]').waitFor({ state: 'detached', timeout: 60_000 });
    expect(await seriousViolationsInBothThemes(page)).toEqual({ light: [], dark: [] });
    await docScreenshot(page, 'cluster-app');
  }, 180_000);

  it('lists the app with replicas running/desired and its update state', async () => {
    await page.click('[data-testid="cluster-app"] a:has-text("Apps")');
    const row = page.locator('[data-testid="capp-list"] tr[data-app="web"]');
    await row.waitFor();
    expect(await row.locator('[data-field="replicas"]').innerText()).toBe('1/1');
    expect(await row.locator('[data-field="update"]').innerText()).toContain('up to date');
    expect(await seriousViolations(page)).toEqual([]);
  }, 60_000);

  it('creates a private registry from the form: running, logged in, its CA file on every node', async () => {
    await page.click('[role="tab"][data-tab="registries"]');
    await page.locator('[data-testid="registries"] [data-testid="empty-state"]').waitFor();
    await page.click('button:has-text("Create private registry")');
    const dialog = page.locator('[data-testid="create-registry"]');
    await dialog.getByLabel('Name', { exact: true }).fill('main');
    await dialog.getByLabel('Runs on').selectOption({ label: 'a' });
    expect(await dialog.getByLabel('Trusted by the nodes of').inputValue()).toBe(clusterId);
    await dialog.getByLabel('Port', { exact: true }).fill(String(REGISTRY_PORT));
    expect(await seriousViolations(page)).toEqual([]);
    await dialog.locator('button[type="submit"]').click();
    await dialog.waitFor({ state: 'detached', timeout: 120_000 });
    const row = page.locator('[data-testid="registry-list"] tr[data-registry="main"]');
    await page.waitForFunction(() => /running\s*login ok/.test(document.querySelector('tr[data-registry="main"] [data-field="status"]')?.textContent ?? ''), null, { timeout: 30_000 });
    const nodes = await row.locator('[data-field="nodes"]').innerText();
    for (const n of ['a', 'b', 'c']) expect(nodes).toContain(`${n}: CA file ok`);
    await a().exec(['test', '-f', `/etc/docker/certs.d/${a().host}:${REGISTRY_PORT}/ca.crt`], { check: true });
  }, 150_000);

  it('adds an external registry with a wrong password: the login fails clearly, the password is never shown', async () => {
    const ca = (await client.registry.list()).find((r) => r.name === 'main')?.caCertificate;
    expect(ca).toMatch(/^-----BEGIN CERTIFICATE-----/);
    await page.click('button:has-text("Add external registry")');
    const dialog = page.locator('[data-testid="add-registry"]');
    await dialog.getByLabel('Name', { exact: true }).fill('wrong');
    await dialog.getByLabel('Registry URL').fill(`${a().host}:${REGISTRY_PORT}`);
    await dialog.getByLabel('User name').fill('openpanel');
    await dialog.getByLabel('Password or token').fill('not-the-password');
    await dialog.getByLabel('CA certificate (optional)').fill(ca ?? '');
    await dialog.locator('button[type="submit"]').click();
    await dialog.waitFor({ state: 'detached', timeout: 30_000 });
    const row = page.locator('[data-testid="registry-list"] tr[data-registry="wrong"]');
    await row.locator('button:has-text("Test login")').click();
    const result = row.locator('[data-testid="registry-test-result"]');
    await result.waitFor({ timeout: 30_000 });
    expect(await result.innerText()).toContain('refused the user name or password (HTTP 401)');
    await page.waitForFunction(() => /login failed/.test(document.querySelector('tr[data-registry="wrong"] [data-field="status"]')?.textContent ?? ''), null, { timeout: 30_000 });
    expect(await page.content()).not.toContain('not-the-password');
    expect(await seriousViolationsInBothThemes(page)).toEqual({ light: [], dark: [] });
  }, 90_000);

  it('the dashboard card counts the services and their replicas', async () => {
    await page.click('[data-nav="servers"]');
    await page.waitForFunction(() => document.querySelector('[data-cluster="prod"] [data-testid="cluster-card-services"]')?.textContent === '1 service · 1/1 replicas running', null, { timeout: 30_000 });
    expect(errors.filter((e) => !e.includes('net::ERR_NETWORK_CHANGED'))).toEqual([]);
  }, 60_000);

  it('removes the app after asking', async () => {
    await page.evaluate((hash) => (window.location.hash = hash), `#/cluster/${clusterId}/apps/web`);
    await page.locator('[data-testid="cluster-app"][data-app="web"] button:has-text("Remove")').click();
    const confirm = page.locator('[data-testid="confirm-dialog"]');
    expect(await confirm.innerText()).toContain('Remove web?');
    await confirm.locator('button[type="submit"]').click();
    await page.locator('[data-testid="cluster-apps"] [data-testid="empty-state"]').waitFor({ timeout: 30_000 });
    expect((await a().exec(['docker', 'service', 'ls', '--format', '{{.Name}}'], { check: true })).stdout.split('\n')).not.toContain('op-web');
  }, 60_000);
});
