import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectorContainerSpec } from '../../src/main/services/watch/collector.ts';
import { BUSYBOX_TAG, Testbed, type TestServer } from '../testbed/index.ts';
import { startTestApp, waitFor, type TestApp } from '../helpers/app.ts';
import { parseProm } from '../helpers/prom-text.ts';
import { addServer } from '../helpers/servers.ts';
import { WATCH_PACKAGES } from '../helpers/watch-standins.ts';
import { loadComposeImages } from './compose-fixture.ts';
import { followDeploy, GitRepo, SAMPLE_DOCKERFILE, setupProxy } from './deploy-fixture.ts';

// The product signals Watch reads through node-exporter's textfile collector, written on a real server: deploy jobs
// (Dockerfile and Compose) write deploy-<appId>.prom, the collector container writes containers.prom. Each file is
// read strictly (tests/helpers/prom-text.ts) and by Debian's promtool 2.42 (the parser node-exporter and Prometheus use).
describe('Watch signals: deploy results and the container collector (real sshd + dockerd)', () => {
  let bed: Testbed;
  let s: TestServer;
  let app: TestApp;
  let repo: GitRepo;
  let serverId: string;
  let images: Record<string, string>;
  let promtool: string;
  let textfileDir: string;

  const readText = async (file: string) => (await s.exec(['cat', `${textfileDir}/${file}`], { check: true })).stdout;
  /** promtool's verdict on a text: exit 1 and "parsing error" for a text it cannot parse, 3 for lint findings only. */
  const promtoolText = async (text: string) => {
    const r = await s.exec(['docker', 'run', '--rm', '-i', '--network', 'none', promtool, 'promtool', 'check', 'metrics'], { input: text, timeoutMs: 60_000 });
    return { code: r.code, out: `${r.stdout}${r.stderr}` };
  };
  const promtoolCheck = async (file: string) => promtoolText(await readText(file));
  const series = (name: string, labels: Record<string, string>) =>
    `${name}{${Object.entries(labels).map(([k, v]) => `${k}="${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`).join(',')}}`;

  beforeAll(async () => {
    bed = await Testbed.create({ prefix: 'wsig' });
    s = await bed.addServer({ name: 'w' });
    // The Compose builder stand-in (git, docker CLI, docker-compose) runs the Dockerfile jobs, the Compose jobs and the collector.
    images = await loadComposeImages(s);
    // promtool comes with Debian's prometheus: the Watch stand-ins' base image (one cached build)
    promtool = await s.loadImage('debian', { packages: WATCH_PACKAGES });
    repo = new GitRepo();
    repo.commit({ 'Dockerfile': SAMPLE_DOCKERFILE, 'index.html': 'v1\n', 'docker-compose.yml': 'services:\n  web:\n    image: busybox:latest\n' }, 'v1');
    await repo.serve(bed);
    app = await startTestApp();
    serverId = (await addServer(app.client, s, { name: 'w' })).id;
    await setupProxy(app.client, serverId, images);
    // Made here to learn its path on the server (the first builder would make it).
    await s.exec(['docker', 'volume', 'create', 'openpanel-watch-textfile'], { check: true });
    textfileDir = (await s.exec(['docker', 'volume', 'inspect', '-f', '{{.Mountpoint}}', 'openpanel-watch-textfile'], { check: true })).stdout.trim();
  }, 600_000);
  afterAll(async () => {
    await app?.close();
    repo?.close();
    await bed?.teardown();
  });

  let appId: string;
  let succeededAt: number;

  it('a deploy that succeeds writes deploy-<appId>.prom: success 1, its end and duration, no failure info', async () => {
    appId = (await app.client.apps.create({ name: 'sig', serverId, source: { kind: 'git', url: repo.url, branch: 'main' }, port: 8080 })).id;
    const t0 = Math.floor(Date.now() / 1000);
    const started = await app.client.apps.deploy({ id: appId });
    const { deploy, log } = await followDeploy(app.client, started.id, 180_000);
    expect(deploy.status, log).toBe('succeeded');
    const t1 = Math.ceil(Date.now() / 1000);
    expect(log).toContain('result exported for Watch');
    const text = await readText(`deploy-${appId}.prom`);
    const m = parseProm(text);
    const labels = { app_id: appId, app_name: 'sig' };
    expect(m.get(series('openpanel_deploy_last_success', labels))).toBe(1);
    succeededAt = m.get(series('openpanel_deploy_last_timestamp_seconds', labels))!;
    expect(succeededAt).toBeGreaterThanOrEqual(t0);
    expect(succeededAt).toBeLessThanOrEqual(t1);
    const duration = m.get(series('openpanel_deploy_last_duration_seconds', labels))!;
    expect(duration).toBeGreaterThan(0);
    expect(duration).toBeLessThanOrEqual(t1 - t0);
    expect([...m.keys()].filter((k) => k.startsWith('openpanel_deploy_last_failure_info'))).toEqual([]);
    expect(m.size).toBe(3);
    // world-readable (node-exporter runs as nobody), and the .tmp file was renamed, not left behind
    expect((await s.exec(['stat', '-c', '%a', `${textfileDir}/deploy-${appId}.prom`], { check: true })).stdout.trim()).toBe('644');
    expect((await s.exec(['ls', '-A', textfileDir], { check: true })).stdout.split('\n').filter((f) => f.endsWith('.tmp'))).toEqual([]);
    expect(await promtoolCheck(`deploy-${appId}.prom`)).toEqual({ code: 0, out: '' });
  });

  it('a deploy that fails writes success 0 and the reason the app shows; a cancelled one leaves the file as it was', async () => {
    repo.commit({ 'Dockerfile': 'FROM busybox:latest\nRUN echo "broken on purpose" && exit 3\n' }, 'broken');
    const started = await app.client.apps.deploy({ id: appId });
    const { deploy, log } = await followDeploy(app.client, started.id, 180_000);
    expect(deploy.status, log).toBe('failed');
    expect(deploy.error).toBe('docker build failed');
    const text = await readText(`deploy-${appId}.prom`);
    const m = parseProm(text);
    const labels = { app_id: appId, app_name: 'sig' };
    expect(m.get(series('openpanel_deploy_last_success', labels))).toBe(0);
    expect(m.get(series('openpanel_deploy_last_failure_info', { ...labels, reason: deploy.error! }))).toBe(1);
    expect(m.get(series('openpanel_deploy_last_timestamp_seconds', labels))).toBeGreaterThanOrEqual(succeededAt);
    expect(await promtoolCheck(`deploy-${appId}.prom`)).toEqual({ code: 0, out: '' });

    // cancelled during its build: the builder is killed, the file still says what the failed deploy wrote
    repo.commit({ 'Dockerfile': SAMPLE_DOCKERFILE.replace('COPY', 'RUN sleep 60\nCOPY') }, 'slow');
    const slow = await app.client.apps.deploy({ id: appId });
    await waitFor(async () => (await app.client.apps.deploys({ id: appId, limit: 1 }))[0]!.step === 'build', 'the build step of the slow deploy', 60_000, 100);
    expect((await app.client.apps.cancel({ deployId: slow.id })).status).toBe('cancelled');
    // the killed builder is being removed (AutoRemove): once it is gone, nothing of it can write any more
    await waitFor(async () => (await s.exec(['docker', 'ps', '-aq', '--filter', `name=openpanel-job-${slow.id}`], { check: true })).stdout.trim() === '', 'the cancelled builder gone', 30_000, 200);
    expect(await readText(`deploy-${appId}.prom`)).toBe(text);
  });

  it('a Compose deploy that fails writes its reason too', async () => {
    const composeApp = (await app.client.apps.create({ name: 'stack', serverId, source: { kind: 'git', url: repo.url, branch: 'main' }, port: 8080, compose: { file: 'docker-compose.yml', service: 'nosuch' } })).id;
    const started = await app.client.apps.deploy({ id: composeApp });
    const { deploy, log } = await followDeploy(app.client, started.id, 180_000);
    expect(deploy.status, log).toBe('failed');
    expect(deploy.error).toMatch(/^compose\.service: docker-compose\.yml has no service named nosuch/);
    expect(log).toContain('result exported for Watch');
    const m = parseProm(await readText(`deploy-${composeApp}.prom`));
    const labels = { app_id: composeApp, app_name: 'stack' };
    expect(m.get(series('openpanel_deploy_last_success', labels))).toBe(0);
    expect(m.get(series('openpanel_deploy_last_failure_info', { ...labels, reason: deploy.error! }))).toBe(1);
  });

  it('the collector started from its spec exports restart counts, health, running and a heartbeat, with hostile label values kept valid', async () => {
    const api = await app.services.docker.api(serverId);
    await s.exec(['docker', 'run', '-d', '--name', 'crashy', '--restart', 'always', BUSYBOX_TAG, 'sh', '-c', 'sleep 1; exit 3'], { check: true });
    await s.exec(['docker', 'run', '-d', '--name', 'sicky', '--health-cmd', 'exit 1', '--health-interval', '1s', '--health-retries', '1', BUSYBOX_TAG, 'sleep', '600'], { check: true });
    // Docker refuses quotes and newlines in container names, so a hostile value reaches the collector through the label
    const refused = await s.exec(['docker', 'create', '--name', 'a"b\nc', BUSYBOX_TAG, 'true']);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/Invalid container name/);
    const hostile = 'x",evil="1"} 9\nopenpanel_container_running{container="fake"} 1 \\ end';
    await s.exec(['docker', 'run', '-d', '--name', 'hostile', '--label', `openpanel.app.name=${hostile}`, BUSYBOX_TAG, 'sleep', '600'], { check: true });

    const spec = collectorContainerSpec({ image: images['docker:27-cli']!, intervalSeconds: 1 });
    const c = await api.createContainer(spec);
    await c.start();
    const read = async () => {
      const text = await readText('containers.prom');
      return { text, m: parseProm(text) };
    };
    const restarts = (m: Map<string, number>) => m.get(series('openpanel_container_restart_count', { container: 'crashy', app: '' }));
    const first = await waitFor(async () => {
      const r = await read();
      return (restarts(r.m) ?? 0) >= 1 ? r : null;
    }, 'containers.prom with a restart of crashy', 60_000, 250);
    const r1 = restarts(first.m)!;
    const beat1 = first.m.get('openpanel_collector_last_run_timestamp_seconds')!;
    const later = await waitFor(async () => {
      const r = await read();
      return restarts(r.m)! > r1 && r.m.get(series('openpanel_container_health', { container: 'sicky', app: '', status: 'unhealthy' })) === 1 ? r : null;
    }, 'a higher restart count of crashy and sicky unhealthy', 60_000, 250);
    expect(later.m.get('openpanel_collector_last_run_timestamp_seconds')).toBeGreaterThan(beat1);
    expect(later.m.get(series('openpanel_container_running', { container: 'sicky', app: '' }))).toBe(1);
    // the deployed app's container carries its name
    const appContainer = (await s.exec(['docker', 'ps', '--filter', `label=openpanel.app=${appId}`, '--format', '{{.Names}}'], { check: true })).stdout.trim();
    expect(later.m.get(series('openpanel_container_running', { container: appContainer, app: 'sig' }))).toBe(1);
    // the hostile value is one label of one series, escaped, and nothing else was injected
    expect(later.m.get(series('openpanel_container_running', { container: 'hostile', app: hostile }))).toBe(1);
    expect([...later.m.keys()].filter((k) => k.includes('fake') || k.includes('evil'))).toHaveLength(2);
    expect(later.text.split('\n').filter((l) => l.startsWith('openpanel_container_running{container="fake"'))).toEqual([]);
    // promtool parses it; its only finding is the style lint on the _count suffix the design chose
    // positive controls: both readers refuse a raw newline and an escape the format does not have
    for (const bad of ['x{a="b\nc"} 1\n', 'x{a="b\\tc"} 1\n']) {
      expect(() => parseProm(bad)).toThrow();
      expect(await promtoolText(bad)).toMatchObject({ code: 1, out: expect.stringContaining('parsing error') });
    }
    const check = await promtoolCheck('containers.prom');
    expect([0, 3], check.out).toContain(check.code);
    expect(check.out).not.toMatch(/error|parsing/i);
    expect(check.out.trim().split('\n').filter(Boolean).every((l) => l.includes('openpanel_container_restart_count') && l.includes('_count'))).toBe(true);

    const info = await c.inspect();
    expect(info.HostConfig.RestartPolicy?.Name).toBe('unless-stopped');
    expect(info.State.Running).toBe(true);
    // docker stop ends the loop through its trap (exit 0), not by the kill after the timeout (137)
    await c.stop({ t: 10 });
    expect((await c.inspect()).State.ExitCode).toBe(0);

    // Docker failing (no engine behind its socket): each round says so, the loop goes on, the last file stays
    const kept = await readText('containers.prom');
    const broken = await api.createContainer({ ...collectorContainerSpec({ image: images['docker:27-cli']!, intervalSeconds: 1, dockerSocket: '/tmp/no-engine-here' }), name: 'collector-no-engine' });
    await broken.start();
    const failures = await waitFor(async () => {
      const logs = (await s.exec(['docker', 'logs', 'collector-no-engine'], { check: true })).stderr;
      return (logs.match(/docker ps failed/g)?.length ?? 0) >= 3 ? logs : null;
    }, 'three failed rounds of the collector without an engine', 30_000, 250);
    expect(failures).toContain('containers.prom kept as it was');
    expect((await broken.inspect()).State.Running).toBe(true);
    expect(await readText('containers.prom')).toBe(kept);
    await broken.remove({ force: true });
  });
});
