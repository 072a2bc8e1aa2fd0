import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Testbed, type TestServer } from '../testbed/index.ts';
import { waitFor } from '../helpers/app.ts';
import { addServer } from '../helpers/servers.ts';
import { startWebProcess, type WebProcess } from '../helpers/web-process.ts';
import type { BootstrapProgress } from '../../src/shared/contract/servers.ts';
import { API_CGI, COMPOSE, loadComposeImages, WEB_DOCKERFILE } from './compose-fixture.ts';
import { followDeploy, getByHost, GitRepo, loadShipImages, SAMPLE_DOCKERFILE, setupProxy } from './deploy-fixture.ts';

// Uses the built CLI (npx electron-vite build first).
describe('jobs survive the app being killed: the restarted app re-attaches to a deploy, a Compose deploy and a Docker install', () => {
  let bed: Testbed;
  let s: TestServer;
  let stack: TestServer;
  let bare: TestServer;
  let repo: GitRepo;
  let stackRepo: GitRepo;
  let first: WebProcess | null = null;
  let second: WebProcess | null = null;
  const dataDir = mkdtempSync(join(tmpdir(), 'openpanel-deprst-'));
  const dataDir2 = mkdtempSync(join(tmpdir(), 'openpanel-deprst-'));
  // processes still running (a killed one's stop() would wait for an exit that already happened)
  const live = new Set<WebProcess>();

  beforeAll(async () => {
    bed = await Testbed.create({ prefix: 'deprst' });
    const mirror = await bed.aptMirror(['docker.io']);
    [s, stack, bare] = (await bed.addServers([{ name: 'ship' }, { name: 'stack' }, { name: 'bare', docker: false, aptMirror: mirror }])) as [TestServer, TestServer, TestServer];
    repo = new GitRepo();
    repo.commit({ 'Dockerfile': SAMPLE_DOCKERFILE.replace('COPY', 'RUN sleep 6\nCOPY'), 'index.html': 'v1\n' }, 'v1');
    await repo.serve(bed);
    stackRepo = new GitRepo();
    mkdirSync(join(stackRepo.work, 'web'));
    stackRepo.commit({ 'docker-compose.yml': COMPOSE, 'web/Dockerfile': WEB_DOCKERFILE.replace('RUN chmod', 'RUN sleep 6\nRUN chmod'), 'web/index.html': 'stack v1\n', 'web/api.cgi': API_CGI }, 'v1');
    await stackRepo.serve(bed);
  }, 600_000);
  afterAll(async () => {
    await first?.stop('SIGKILL');
    await second?.stop();
    for (const p of live) await p.stop('SIGKILL');
    repo?.close();
    stackRepo?.close();
    await bed?.teardown();
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(dataDir2, { recursive: true, force: true });
  });

  it('re-attaches after SIGKILL and shows the deploy succeeded with its full log', async () => {
    const images = await loadShipImages(s);
    first = await startWebProcess({ dataDir });
    const c1 = await first.client();
    const serverId = (await addServer(c1.client, s, { name: 'ship' })).id;
    await setupProxy(c1.client, serverId, images);
    const created = await c1.client.apps.create({ name: 'restart', serverId, source: { kind: 'git', url: repo.url, branch: 'main' }, port: 8080, domains: [{ host: 'restart.test', tls: false }] });
    const started = await c1.client.apps.deploy({ id: created.id });
    await waitFor(async () => (await c1.client.apps.deploys({ id: created.id, limit: 1 }))[0]!.step === 'build', 'the build step', 60_000, 100);
    c1.close();
    await first.stop('SIGKILL');
    first = null;

    // the job goes on without the app; the new process starts while it still runs
    second = await startWebProcess({ dataDir });
    expect(JSON.parse((await s.exec(['cat', `/tmp/openpanel/jobs/${started.id}/state.json`], { check: true })).stdout)).toMatchObject({ status: 'running', step: 'build' });
    const c2 = await second.client();
    try {
      const { deploy, log } = await followDeploy(c2.client, started.id, 60_000);
      expect(deploy.status, log).toBe('succeeded');
      expect(log).toContain('==> Fetching the source');
      expect(log).toContain('RUN sleep 6');
      expect(log).toContain('==> Deployed');
      expect((await c2.client.apps.get({ id: created.id })).lastDeploy?.status).toBe('succeeded');
      expect(await getByHost(s.host, 'restart.test')).toEqual({ status: 200, body: 'v1\n' });
    } finally {
      c2.close();
    }
  });

  it('re-attaches to a Compose deploy and to a Docker install after SIGKILL: both finish, each with its whole log', { timeout: 900_000 }, async () => {
    const images = await loadComposeImages(stack);
    // dpkg starts 30 s after the install step begins, so the app is killed and back while the install still runs
    await bare.sh(`echo 'DPkg::Pre-Invoke { "sleep 30"; };' > /etc/apt/apt.conf.d/99openpanel-test-slow`, { check: true });
    const p1 = await startWebProcess({ dataDir: dataDir2 });
    live.add(p1);
    const c1 = await p1.client();
    const stackId = (await addServer(c1.client, stack, { name: 'stack' })).id;
    const bareId = (await addServer(c1.client, bare, { kind: 'sudo', name: 'bare' })).id;
    await setupProxy(c1.client, stackId, images);
    const app = await c1.client.apps.create({
      name: 'stackrst', serverId: stackId, source: { kind: 'git', url: stackRepo.url, branch: 'main' },
      compose: { file: 'docker-compose.yml', service: 'web' }, port: 8080, domains: [{ host: 'stackrst.test', tls: false }], env: { GREETING: 'hello' },
    });
    const composeDeploy = await c1.client.apps.deploy({ id: app.id });
    const before: BootstrapProgress[] = [];
    for await (const p of await c1.client.servers.bootstrap({ id: bareId })) {
      before.push(p);
      if (p.step === 'install docker.io') break;
    }
    expect(before.at(-1)).toMatchObject({ phase: 'installing', step: 'install docker.io' });
    await waitFor(async () => (await c1.client.apps.deploys({ id: app.id, limit: 1 }))[0]!.step === 'build', 'the Compose build step', 120_000, 100);
    c1.close();
    await p1.stop('SIGKILL');
    live.delete(p1);

    // both jobs go on without the app
    const installDir = '/var/lib/openpanel/bootstrap';
    expect(JSON.parse((await bare.exec(['cat', `${installDir}/state.json`], { check: true })).stdout)).toMatchObject({ status: 'running', step: 'install docker.io' });
    const installPid = (await bare.exec(['cat', `${installDir}/pid`], { check: true })).stdout.trim();
    expect(JSON.parse((await stack.exec(['cat', `/tmp/openpanel/jobs/${composeDeploy.id}/state.json`], { check: true })).stdout)).toMatchObject({ status: 'running' });

    const p2 = await startWebProcess({ dataDir: dataDir2 });
    live.add(p2);
    const c2 = await p2.client();
    try {
      const after: BootstrapProgress[] = [];
      for await (const p of await c2.client.servers.bootstrap({ id: bareId })) after.push(p);
      expect(after.at(-1)).toMatchObject({ phase: 'done', exitCode: 0, progress: 100 });
      const log = after.map((p) => p.log).join('');
      // the whole log from the start, of the one install started before the restart (not a second one)
      expect(log.match(/openpanel: detected/g)).toHaveLength(1);
      expect(log).toContain('openpanel: step apt-update');
      expect(log).toMatch(/Setting up docker\.io/);
      expect(log).toMatch(/openpanel: docker \S+ is running/);
      expect((await bare.exec(['cat', `${installDir}/pid`], { check: true })).stdout.trim()).toBe(installPid);
      expect((await c2.client.servers.facts({ id: bareId })).dockerVersion).toMatch(/^\d+\./);

      const { deploy, log: composeLog } = await followDeploy(c2.client, composeDeploy.id, 180_000);
      expect(deploy.status, composeLog).toBe('succeeded');
      expect(composeLog).toContain('==> Fetching the source');
      expect(composeLog).toContain('RUN sleep 6');
      expect(composeLog).toContain('==> Starting the stack');
      expect(await getByHost(stack.host, 'stackrst.test')).toEqual({ status: 200, body: 'stack v1\n' });
    } finally {
      c2.close();
    }
  });
});

