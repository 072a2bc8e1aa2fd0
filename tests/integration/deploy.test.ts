import { Agent } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUSYBOX_TAG, Testbed, type TestServer } from '../testbed/index.ts';
import { rpcError, startTestApp, waitFor, type TestApp } from '../helpers/app.ts';
import { addServer } from '../helpers/servers.ts';
import { DRIVER, followDeploy, getByHost, GitRepo, loadShipImages, SAMPLE_DOCKERFILE, setupProxy } from './deploy-fixture.ts';

describe(`deploys from git through the ${DRIVER} proxy (real sshd + dockerd)`, () => {
  let bed: Testbed;
  let s: TestServer;
  let app: TestApp;
  let repo: GitRepo;
  let serverId: string;
  let appId: string;
  let firstDeployId: string;

  beforeAll(async () => {
    bed = await Testbed.create({ prefix: 'deploy' });
    s = await bed.addServer({ name: 'ship' });
    const images = await loadShipImages(s);
    repo = new GitRepo();
    repo.commit({ 'Dockerfile': SAMPLE_DOCKERFILE, 'index.html': 'v1\n' }, 'v1');
    await repo.serve(bed);
    app = await startTestApp();
    serverId = (await addServer(app.client, s, { name: 'ship' })).id;
    await setupProxy(app.client, serverId, images);
  });
  afterAll(async () => {
    await app?.close();
    repo?.close();
    await bed?.teardown();
  });

  it('validates the app form with messages that name the field', async () => {
    const e = await rpcError(app.client.apps.create({ name: 'Bad Name', serverId, source: { kind: 'git', url: 'not a url', branch: 'main' }, port: 0 } as never));
    expect(e.code).toBe('INPUT_INVALID');
    const paths = (e.data as { issues: { path: string }[] }).issues.map((i) => i.path);
    expect(paths).toEqual(expect.arrayContaining(['name', 'source.url', 'port']));
  });

  it('deploys an app built on the server and serves it through the proxy by Host name', async () => {
    const created = await app.client.apps.create({
      name: 'sample',
      serverId,
      source: { kind: 'git', url: repo.url, branch: 'main' },
      port: 8080,
      domains: [{ host: 'sample.test', tls: false }],
      env: { GREETING: 'hello' },
    });
    appId = created.id;
    expect(created.envNames).toEqual(['GREETING']);
    // The server has a database network (made by the databases feature); a stand-in "database" answers on it.
    await s.sh(`docker network create openpanel-data >/dev/null && mkdir -p /tmp/fakedb && echo db-reached > /tmp/fakedb/index.html && docker run -d --name fake-db --network openpanel-data -v /tmp/fakedb:/www ${BUSYBOX_TAG} httpd -f -p 5432 -h /www >/dev/null`, { check: true });
    expect(created.urls).toEqual(['http://sample.test']);
    const started = await app.client.apps.deploy({ id: appId });
    firstDeployId = started.id;
    const steps = new Set<string>();
    const { deploy, log } = await followDeploy(app.client, started.id, 120_000, (d) => steps.add(d.step));
    expect(deploy.status, log).toBe('succeeded');
    expect(deploy.commit).toBe(repo.git(['rev-parse', 'HEAD']).trim());
    expect(deploy.buildSeconds).toBeGreaterThan(0);
    expect([...steps]).toEqual(expect.arrayContaining(['build', 'done']));
    expect(log).toContain('==> Building openpanel/sample:');
    expect(log).toContain('==> Deployed');
    expect((await app.client.apps.deployLog({ deployId: started.id })).text).toBe(log);
    expect(await getByHost(s.host, 'sample.test')).toEqual({ status: 200, body: 'v1\n' });
    // the app joined the databases' network before it started, and reaches a database there by its name
    expect(log).toContain("joined the databases' network openpanel-data");
    expect((await s.exec(['docker', 'exec', deploy.container!, 'wget', '-qO-', 'http://fake-db:5432/'], { check: true })).stdout).toBe('db-reached\n');
    // the env value from the keychain reached the container, and the container is labelled as OpenPanel's
    const env = await s.exec(['docker', 'inspect', '-f', '{{range .Config.Env}}{{println .}}{{end}}', deploy.container!], { check: true });
    expect(env.stdout).toContain('GREETING=hello');
    // the job's state and log are files on the server
    expect(JSON.parse((await s.exec(['cat', `/tmp/openpanel/jobs/${deploy.id}/state.json`], { check: true })).stdout)).toMatchObject({ status: 'succeeded', step: 'done' });
  });

  it('redeploys a change with no failed request during the switch', async () => {
    repo.commit({ 'index.html': 'v2\n' }, 'v2');
    const started = await app.client.apps.deploy({ id: appId });
    let done = false;
    const finished = followDeploy(app.client, started.id, 120_000).finally(() => (done = true));
    let ok = 0;
    const failures: string[] = [];
    const seen = new Set<string>();
    // Keep-alive, like a browser (see getByHost): the proxy's reload closes idle connections gracefully.
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    for (let i = 0; i < 5000 && !done; i++) {
      const r = await getByHost(s.host, 'sample.test', '/', 3000, agent);
      if (r.status === 200 && (r.body === 'v1\n' || r.body === 'v2\n')) {
        ok++;
        seen.add(r.body.trim());
      } else failures.push(`${r.status} ${r.body.slice(0, 80)}`);
    }
    agent.destroy();
    const { deploy, log } = await finished;
    expect(deploy.status, log).toBe('succeeded');
    expect(failures).toEqual([]);
    expect(ok).toBeGreaterThan(10);
    expect(seen.has('v1')).toBe(true);
    expect(await getByHost(s.host, 'sample.test')).toEqual({ status: 200, body: 'v2\n' });
    // exactly one app container is left
    const ps = await s.exec(['docker', 'ps', '-q', '--filter', `label=openpanel.app=${appId}`], { check: true });
    expect(ps.stdout.trim().split('\n')).toHaveLength(1);
  });

  it('rolls back to a kept image without rebuilding', async () => {
    const images = await app.client.apps.images({ id: appId });
    expect(images.map((i) => i.deployId)).toContain(firstDeployId);
    const t0 = Date.now();
    const started = await app.client.apps.rollback({ id: appId, toDeployId: firstDeployId });
    const { deploy, log } = await followDeploy(app.client, started.id, 60_000);
    expect(deploy.status, log).toBe('succeeded');
    expect(deploy.kind).toBe('rollback');
    expect(log).toContain('no rebuild');
    expect(log).not.toContain('==> Building');
    expect(Date.now() - t0).toBeLessThan(30_000);
    expect(await getByHost(s.host, 'sample.test')).toEqual({ status: 200, body: 'v1\n' });
    const history = await app.client.apps.deploys({ id: appId });
    expect(history.map((d) => d.kind)).toEqual(['rollback', 'deploy', 'deploy']);
    expect(history.every((d) => d.status === 'succeeded')).toBe(true);
  });

  it('finishes a deploy on the server while the link is cut for 20 s, then shows it with its full log', async () => {
    repo.commit({ 'Dockerfile': SAMPLE_DOCKERFILE.replace('COPY', 'RUN sleep 4\nCOPY'), 'index.html': 'v3\n' }, 'v3 (slow build)');
    const started = await app.client.apps.deploy({ id: appId });
    // wait until the build runs (failing the test if it never does), then cut the link
    await waitFor(async () => (await app.client.apps.deploys({ id: appId, limit: 1 }))[0]!.step === 'build', 'the build step of the slow deploy', 30_000, 100);
    await s.cutLink();
    const cutAt = Date.now();
    let serverState = '';
    try {
      // the job carries on without us: watch its state file from the test bed (not over SSH)
      for (let i = 0; i < 200 && Date.now() - cutAt < 20_000; i++) {
        serverState = (await s.exec(['cat', `/tmp/openpanel/jobs/${started.id}/state.json`])).stdout;
        await new Promise((r) => setTimeout(r, 250));
      }
      await new Promise((r) => setTimeout(r, Math.max(0, 20_000 - (Date.now() - cutAt))));
    } finally {
      await s.restoreLink();
    }
    expect(JSON.parse(serverState)).toMatchObject({ status: 'succeeded' });
    const { deploy, log } = await followDeploy(app.client, started.id, 90_000);
    expect(deploy.status, log).toBe('succeeded');
    expect(log).toContain('RUN sleep 4');
    expect(log).toContain('==> Deployed');
    expect(log.indexOf('==> Fetching')).toBeLessThan(log.indexOf('==> Building'));
    expect(await getByHost(s.host, 'sample.test')).toEqual({ status: 200, body: 'v3\n' });
  });

  it('cancels a running deploy and keeps the current version serving', async () => {
    repo.commit({ 'Dockerfile': SAMPLE_DOCKERFILE.replace('COPY', 'RUN sleep 30\nCOPY'), 'index.html': 'v4\n' }, 'v4 (very slow)');
    const started = await app.client.apps.deploy({ id: appId });
    expect((await rpcError(app.client.apps.deploy({ id: appId }))).code).toBe('CONFLICT');
    await waitFor(async () => (await app.client.apps.deploys({ id: appId, limit: 1 }))[0]!.step === 'build', 'the build step of the very slow deploy', 30_000, 100);
    const cancelled = await app.client.apps.cancel({ deployId: started.id });
    expect(cancelled.status).toBe('cancelled');
    expect(await getByHost(s.host, 'sample.test')).toEqual({ status: 200, body: 'v3\n' });
    // the builder is gone (the daemon drops its build) and no new app container was left behind
    await waitFor(async () => (await s.exec(['docker', 'ps', '-aq', '--filter', `label=openpanel.job=${started.id}`], { check: true })).stdout.trim() === '', 'the builder to be removed', 10_000, 200);
    const apps = await s.exec(['docker', 'ps', '-aq', '--filter', `label=openpanel.app=${appId}`], { check: true });
    expect(apps.stdout.trim().split('\n')).toHaveLength(1);
    expect((await app.client.apps.deploys({ id: appId, limit: 1 }))[0]).toMatchObject({ id: started.id, status: 'cancelled' });
  });
});
