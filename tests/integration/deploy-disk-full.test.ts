import { Agent } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Testbed, type TestServer } from '../testbed/index.ts';
import { startTestApp, waitFor, type TestApp } from '../helpers/app.ts';
import { addServer } from '../helpers/servers.ts';
import { followDeploy, getByHost, GitRepo, loadShipImages, SAMPLE_DOCKERFILE, setupProxy } from './deploy-fixture.ts';

// A full disk during a deploy: the data dir (/tmp/openpanel, the jobs' files) is a small tmpfs on the server, and
// the proxy's sites folder is a second one, so each can be filled at a chosen step of the job.
const DATA = '/tmp/openpanel';
const SITES = `${DATA}/proxy/caddy/sites`;
const HOST = 'full.test';

/** GETs through the proxy, one after another on a keep-alive connection (as a browser), until stopped; bounded. */
function keepRequesting(address: string) {
  let stop = false;
  const bodies = new Map<string, number>();
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const done = (async () => {
    const deadline = Date.now() + 240_000;
    for (let i = 0; i < 20_000 && !stop && Date.now() < deadline; i++) {
      const r = await getByHost(address, HOST, '/', 3000, agent);
      const key = r.status === 200 ? r.body : `${r.status} ${r.body.slice(0, 80)}`;
      bodies.set(key, (bodies.get(key) ?? 0) + 1);
      await new Promise((res) => setTimeout(res, 20));
    }
    agent.destroy();
    return bodies;
  })();
  return async () => {
    stop = true;
    return done;
  };
}

describe('a full disk during a deploy never takes the app offline (real sshd + dockerd, tmpfs data dir)', () => {
  let bed: Testbed;
  let s: TestServer;
  let app: TestApp;
  let repo: GitRepo;
  let appId: string;

  const freeBlocks = async (dir: string) => Number((await s.exec(['stat', '-f', '-c', '%a', dir], { check: true })).stdout.trim());
  const fill = async (dir: string, name: string) => {
    await s.sh(`head -c 64M /dev/zero > ${dir}/${name} 2>/dev/null; true`, { check: true });
    expect(await freeBlocks(dir), `${dir} is full`).toBe(0);
  };
  const stateOf = async (id: string) => JSON.parse((await s.exec(['cat', `${DATA}/jobs/${id}/state.json`], { check: true })).stdout) as { status: string; step: string };
  const running = async (container: string) => (await s.exec(['docker', 'inspect', '-f', '{{.State.Running}}', container])).stdout.trim();
  /** The one app container serving now, and what it serves. */
  const serving = async () => {
    const ps = (await s.exec(['docker', 'ps', '--format', '{{.Names}}', '--filter', `label=openpanel.app=${appId}`], { check: true })).stdout.trim().split('\n');
    expect(ps).toHaveLength(1);
    const r = await getByHost(s.host, HOST);
    expect(r.status).toBe(200);
    return { container: ps[0]!, body: r.body };
  };

  /** Starts a deploy while requests run; `during` acts on the server mid-job; returns the outcome and what was served. */
  async function deployUnderLoad(during: (id: string) => Promise<void>) {
    const stopRequests = keepRequesting(s.host);
    try {
      const started = await app.client.apps.deploy({ id: appId });
      await during(started.id);
      const result = await followDeploy(app.client, started.id, 180_000);
      return { ...result, served: await stopRequests() };
    } finally {
      await stopRequests();
    }
  }
  /** The old version kept serving through the whole deploy, and its container is still there. */
  async function expectStillServing(before: { container: string; body: string }, served: Map<string, number>) {
    expect([...served.keys()]).toEqual([before.body]);
    expect(served.get(before.body)).toBeGreaterThan(10);
    expect(await running(before.container)).toBe('true');
  }

  beforeAll(async () => {
    bed = await Testbed.create({ prefix: 'dfull' });
    s = await bed.addServer({ name: 'ship' });
    const images = await loadShipImages(s);
    await s.sh(`mkdir -p ${DATA} && mount -t tmpfs -o size=4m tmpfs ${DATA} && mkdir -p ${SITES} && mount -t tmpfs -o size=256k tmpfs ${SITES}`, { check: true });
    repo = new GitRepo();
    repo.commit({ 'Dockerfile': SAMPLE_DOCKERFILE, 'index.html': 'v1\n' }, 'v1');
    await repo.serve(bed);
    app = await startTestApp();
    const serverId = (await addServer(app.client, s, { name: 'ship' })).id;
    await setupProxy(app.client, serverId, images);
    appId = (await app.client.apps.create({ name: 'full', serverId, source: { kind: 'git', url: repo.url, branch: 'main' }, port: 8080, domains: [{ host: HOST, tls: false }] })).id;
  }, 300_000);
  afterAll(async () => {
    await app?.close();
    repo?.close();
    await bed?.teardown();
  });

  it('deploys v1; the switch is confirmed by a request through the proxy', async () => {
    const { deploy, log } = await followDeploy(app.client, (await app.client.apps.deploy({ id: appId })).id, 180_000);
    expect(deploy.status, log).toBe('succeeded');
    expect(await serving()).toEqual({ container: deploy.container, body: 'v1\n' });
    expect(log).toContain(`the proxy routes ${HOST} to the new version`);
  }, 300_000);

  it('the data dir filled mid-build: the deploy fails naming the full disk, v1 serves throughout', async () => {
    repo.commit({ 'Dockerfile': SAMPLE_DOCKERFILE.replace('COPY', 'RUN sleep 5\nCOPY'), 'index.html': 'v2\n' }, 'v2 (slow build)');
    const before = await serving();
    try {
      const { deploy, log, served } = await deployUnderLoad(async (id) => {
        await waitFor(async () => (await stateOf(id).catch(() => null))?.step === 'build', 'the build step', 120_000, 100);
        await fill(DATA, 'fill-build');
        // the fault hit during the build: the job has not moved on yet
        expect(await stateOf(id)).toMatchObject({ status: 'running', step: 'build' });
      });
      await expectStillServing(before, served);
      expect(deploy.status, log).toBe('failed');
      expect(deploy.error).toContain('No space left on device on ship:/tmp/openpanel/jobs/');
    } finally {
      await s.exec(['rm', '-f', `${DATA}/fill-build`], { check: true });
    }
  }, 300_000);

  it('the proxy config filled at the switch: the deploy fails naming it, the site is unchanged, v1 serves throughout', async () => {
    // The new version answers only after 4 s, so the test sees the health step and fills the sites folder before the switch.
    const slowStart = SAMPLE_DOCKERFILE.replace('CMD ["sh", "-c", "', 'CMD ["sh", "-c", "sleep 4; ');
    repo.commit({ 'Dockerfile': slowStart, 'index.html': 'v3\n' }, 'v3 (slow start)');
    const before = await serving();
    const siteBefore = (await s.exec(['cat', `${SITES}/full.caddy`], { check: true })).stdout;
    expect(siteBefore).toContain(before.container);
    let newContainer = '';
    try {
      const { deploy, log, served } = await deployUnderLoad(async (id) => {
        await waitFor(async () => (await stateOf(id).catch(() => null))?.step === 'health', 'the health step', 120_000, 100);
        await fill(SITES, 'fill-switch');
        expect(await stateOf(id)).toMatchObject({ status: 'running', step: 'health' });
        newContainer = `op-full-${id}`;
      });
      await expectStillServing(before, served);
      expect(deploy.status, log).toBe('failed');
      expect(deploy.step).toBe('switch');
      expect(deploy.error).toContain(`No space left on device on ship:${SITES}/full.caddy`);
      expect((await s.exec(['cat', `${SITES}/full.caddy`], { check: true })).stdout).toBe(siteBefore);
      expect((await s.exec(['docker', 'inspect', newContainer])).code).not.toBe(0);
    } finally {
      await s.exec(['rm', '-f', `${SITES}/fill-switch`], { check: true });
    }
  }, 300_000);

  it('a job that cannot write even its files ends with the reason from its stderr, not "builder killed?"', async () => {
    repo.commit({ 'index.html': 'v4\n' }, 'v4');
    const before = await serving();
    try {
      await fill(DATA, 'fill-start');
      const { deploy, log, served } = await deployUnderLoad(async () => undefined);
      await expectStillServing(before, served);
      expect(deploy.status, log).toBe('failed');
      expect(deploy.error).toMatch(/^the job cannot write its files: No space left on device on ship:\/tmp\/openpanel\/jobs\/d[a-z0-9]+$/);
    } finally {
      await s.exec(['rm', '-f', `${DATA}/fill-start`], { check: true });
    }
  }, 300_000);

  it('with space again, the next deploy succeeds and serves the new version', async () => {
    expect(await freeBlocks(DATA)).toBeGreaterThan(100);
    expect(await freeBlocks(SITES)).toBeGreaterThan(10);
    const before = await serving();
    const { deploy, log, served } = await deployUnderLoad(async () => undefined);
    expect(deploy.status, log).toBe('succeeded');
    expect([...served.keys()].filter((k) => k !== before.body && k !== 'v4\n')).toEqual([]);
    expect(await serving()).toEqual({ container: deploy.container, body: 'v4\n' });
    expect(await running(before.container)).toBe('');
  }, 300_000);
});
