import type Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeployJobState, jobReader } from '../../src/main/services/deploy/job.ts';
import { hostReader, launchOnHost } from '../../src/main/services/jobs/host.ts';
import { JobState } from '../../src/main/services/jobs/state.ts';
import { JobTracker } from '../../src/main/services/jobs/tracker.ts';
import { Testbed, type TestServer } from '../testbed/index.ts';
import { startTestApp, waitFor, type TestApp } from '../helpers/app.ts';
import { addServer } from '../helpers/servers.ts';

// Jobs left on a server by the app before the job model (deploy: state.json + log as the deploy job writes it;
// Docker install: pid, exit and log files, no state.json) are read by the new reader and tracker.
describe('job dirs in the layouts written before the job model, read over SSH from a real server', () => {
  let bed: Testbed;
  let s: TestServer;
  let app: TestApp;
  let serverId: string;

  beforeAll(async () => {
    bed = await Testbed.create({ prefix: 'jobold' });
    s = await bed.addServer({ name: 'old' });
    app = await startTestApp();
    serverId = (await addServer(app.client, s, { name: 'old' })).id;
  });
  afterAll(async () => {
    await app?.close();
    await bed?.teardown();
  });

  const conn = () => app.services.pool.acquire(serverId);
  const docker = <T>(call: (api: Docker) => Promise<T>) => app.services.docker.api(serverId).then(call);

  it('a deploy job dir (state.json as shell-lib.ts `record` writes it, and log): final state, every field, whole log', async () => {
    const dir = '/tmp/openpanel/jobs/dold1';
    const log = '==> Job dold1 (deploy) for app web\n==> Fetching the source\n==> Building the image\n==> Deployed\n';
    await s.sh(`mkdir -p ${dir} && cat > ${dir}/log && printf '%s' '{"status":"succeeded","step":"done","progress":100,"image":"openpanel/web:dold1","commit":"0123abcd","container":"op-web-dold1","buildMs":2150,"error":"","at":1764770000}' > ${dir}/state.json`, { input: log, check: true });
    const t = new JobTracker(jobReader(conn, docker, dir, 'dold1'), { intervalMs: 50, maxMs: 30_000 }).start();
    await t.finished;
    expect(t.outcome).toBe('succeeded');
    expect(t.state).toEqual({ status: 'succeeded', step: 'done', progress: 100, image: 'openpanel/web:dold1', commit: '0123abcd', container: 'op-web-dold1', buildMs: 2150, error: '', at: 1764770000 });
    expect(t.log).toBe(log);
    expect(DeployJobState.safeParse(t.state).success).toBe(true);
  });

  it('a deploy left "running" whose builder container is gone is reported lost, once Docker says the builder does not exist', async () => {
    const dir = '/tmp/openpanel/jobs/dold2';
    await s.sh(`mkdir -p ${dir} && echo '==> Building the image' > ${dir}/log && printf '%s' '{"status":"running","step":"build","progress":40,"image":"openpanel/web:dold2","commit":"","container":"op-web-dold2","buildMs":null,"error":"","at":1764770000}' > ${dir}/state.json`, { check: true });
    expect((await s.exec(['docker', 'ps', '-aq', '--filter', 'name=openpanel-job-dold2'], { check: true })).stdout.trim()).toBe('');
    const t = new JobTracker(jobReader(conn, docker, dir, 'dold2'), { intervalMs: 50, maxMs: 30_000 }).start();
    await t.finished;
    expect(t.outcome).toBe('lost');
    expect(t.state).toMatchObject({ status: 'running', step: 'build', progress: 40 });
    expect(t.log).toBe('==> Building the image\n');
  });

  it('a Docker install started by the old launcher (setsid, pid/exit/log): re-attached without a second start, followed to its end', async () => {
    const dir = '/tmp/openpanel-bootstrap-old';
    // The launch line of the old hosts/bootstrap.ts, with an install that takes a few seconds.
    const install = 'echo "openpanel: detected Debian"\necho "openpanel: step apt-update"\nsleep 3\necho "openpanel: step start docker"\necho "openpanel: docker 20.10 is running"\n';
    await s.sh(`mkdir -p ${dir} && cat > ${dir}/install.sh`, { input: install, check: true });
    await s.sh(`setsid sh -c 'sh "$1/install.sh" > "$1/log" 2>&1; echo $? > "$1/exit"' sh ${dir} < /dev/null > /dev/null 2>&1 & echo $! > ${dir}/pid`, { check: true });
    const pid = (await s.sh(`cat ${dir}/pid`, { check: true })).stdout.trim();
    expect(await s.fileExists(`${dir}/exit`)).toBe(false);

    const c = await conn();
    const launched = await launchOnHost(c, { dir, script: 'echo "a second install"', sudo: [], what: 'the Docker install' });
    expect(launched).toEqual({ started: false, pid: Number(pid) });
    expect(await s.fileExists(`${dir}/job.sh`)).toBe(false);

    const t = new JobTracker(hostReader({ conn, dir, schema: JobState, sudo: [] }), { intervalMs: 100, maxMs: 60_000 });
    const states: string[] = [];
    t.on('update', () => t.state && states.push(t.state.status));
    t.start();
    await t.finished;
    expect(states[0]).toBe('running');
    expect(t.outcome).toBe('succeeded');
    expect(t.state).toMatchObject({ status: 'succeeded', exitCode: 0 });
    expect(t.log).toBe('openpanel: detected Debian\nopenpanel: step apt-update\nopenpanel: step start docker\nopenpanel: docker 20.10 is running\n');
  });

  it('an old install that failed (exit file 3) and one whose process died without an exit file', async () => {
    const failed = '/tmp/openpanel-bootstrap-failed';
    await s.sh(`mkdir -p ${failed} && echo 'openpanel: unsupported system: Plan 9' > ${failed}/log && echo 3 > ${failed}/exit && echo 999999 > ${failed}/pid`, { check: true });
    const t = new JobTracker(hostReader({ conn, dir: failed, schema: JobState, sudo: [] }), { intervalMs: 50, maxMs: 30_000 }).start();
    await t.finished;
    expect(t.outcome).toBe('failed');
    expect(t.state).toMatchObject({ status: 'failed', exitCode: 3 });
    expect(t.log).toBe('openpanel: unsupported system: Plan 9\n');

    const dead = '/tmp/openpanel-bootstrap-dead';
    await s.sh(`mkdir -p ${dead} && echo 'openpanel: step apt-update' > ${dead}/log && (sh -c 'echo $$ > ${dead}/pid')`, { check: true });
    const lost = new JobTracker(hostReader({ conn, dir: dead, schema: JobState, sudo: [] }), { intervalMs: 50, maxMs: 30_000 }).start();
    await waitFor(() => lost.outcome, 'the tracker to end', 20_000);
    expect(lost.outcome).toBe('lost');
    expect(lost.log).toBe('openpanel: step apt-update\n');
  });
});
