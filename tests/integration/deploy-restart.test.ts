import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Testbed, type TestServer } from '../testbed/index.ts';
import { waitFor } from '../helpers/app.ts';
import { addServer } from '../helpers/servers.ts';
import { startWebProcess, type WebProcess } from '../helpers/web-process.ts';
import { followDeploy, getByHost, GitRepo, loadShipImages, SAMPLE_DOCKERFILE, setupProxy } from './deploy-fixture.ts';

// Uses the built CLI (npx electron-vite build first).
describe('a deploy survives the app being killed: the restarted app re-attaches to the job', () => {
  let bed: Testbed;
  let s: TestServer;
  let repo: GitRepo;
  let first: WebProcess | null = null;
  let second: WebProcess | null = null;
  const dataDir = mkdtempSync(join(tmpdir(), 'openpanel-deprst-'));

  beforeAll(async () => {
    bed = await Testbed.create({ prefix: 'deprst' });
    s = await bed.addServer({ name: 'ship' });
    repo = new GitRepo();
    repo.commit({ 'Dockerfile': SAMPLE_DOCKERFILE.replace('COPY', 'RUN sleep 6\nCOPY'), 'index.html': 'v1\n' }, 'v1');
    await repo.serve(bed);
  });
  afterAll(async () => {
    await first?.stop('SIGKILL');
    await second?.stop();
    repo?.close();
    await bed?.teardown();
    rmSync(dataDir, { recursive: true, force: true });
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
});
