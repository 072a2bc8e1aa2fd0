import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BUSYBOX_TAG, Testbed, type TestServer } from '../testbed/index.ts';
import { waitFor } from '../helpers/app.ts';
import { HARNESS_SECRET, signGithub, startReceiver, type Receiver } from '../../src/main/services/deploy/webhook-receiver.harness.ts';

/**
 * Replay protection of the push-to-deploy receiver. The receiver program runs on this machine (so the tests can
 * set its limits and restart it), against the real dockerd of a test server: what runs and what is deployed is real
 * Docker state. Its "builder" is a busybox that sleeps, labelled like the real one; a deployed app is a container
 * with the labels the job gives it (openpanel.app, and openpanel.commit from the image).
 */
const A = 'a'.repeat(40);
const B = 'b'.repeat(40);
const commit = (n: number) => n.toString(16).padStart(40, 'c');
const push = (after: string) => JSON.stringify({ ref: 'refs/heads/main', before: '0'.repeat(40), after, repository: { full_name: 'me/sample' } });
const github = (body: string, delivery: string) => ({ 'X-GitHub-Event': 'push', 'X-GitHub-Delivery': delivery, 'X-Hub-Signature-256': signGithub(body) });
const gitlab = (uuid: string) => ({ 'X-Gitlab-Event': 'Push Hook', 'X-Gitlab-Token': HARNESS_SECRET, 'X-Gitlab-Event-UUID': uuid });

describe('push-to-deploy receiver: replays, duplicate commits and the deploy rate (real dockerd)', () => {
  let bed: Testbed;
  let s: TestServer;
  let r: Receiver | undefined;

  const builder = (sleepSeconds: number) => ({
    Image: BUSYBOX_TAG,
    Entrypoint: ['sh', '-c', 'sleep "$OP_SLEEP"'],
    Env: ['OP_JOB_ID=__OP_DEPLOY_ID__', `OP_SLEEP=${sleepSeconds}`],
    Labels: { 'openpanel.job': '__OP_DEPLOY_ID__', 'openpanel.job.app': 'app1' },
    HostConfig: { AutoRemove: true, NetworkMode: 'none' },
  });
  const start = (sleepSeconds: number, env: Record<string, string> = {}, dir?: string) =>
    startReceiver({ dir, builder: builder(sleepSeconds), env: { OP_DOCKER_SOCKET: s.dockerSocketPath, OP_QUEUE_POLL_MS: '300', ...env } });
  /** Deploys the receiver started (each start makes jobs/<id>/ in its data dir). */
  const started = () => (existsSync(join(r!.dir, 'jobs')) ? readdirSync(join(r!.dir, 'jobs')).sort() : []);
  const buildersRunning = async () => (await s.exec(['docker', 'ps', '-q', '--filter', 'label=openpanel.job.app=app1'], { check: true })).stdout.trim();
  const noBuilderRunning = () => waitFor(async () => (await buildersRunning()) === '', 'no builder of app1 running', 30_000, 100);
  /** What the job leaves behind: the app's container, labelled with its commit. */
  const deployed = (c: string) => s.exec(['docker', 'run', '-d', '--label', 'openpanel.app=app1', '--label', `openpanel.commit=${c}`, BUSYBOX_TAG, 'sleep', '600'], { check: true });

  beforeAll(async () => {
    bed = await Testbed.create({ prefix: 'hookrx' });
    s = await bed.addServer({ name: 'rx', images: ['busybox'] });
  });
  afterEach(async () => {
    await r?.stop();
    r = undefined;
    await s.sh('docker rm -f $(docker ps -aq --filter label=openpanel.app=app1) $(docker ps -aq --filter label=openpanel.job.app=app1) >/dev/null 2>&1; true');
  });
  afterAll(async () => {
    await bed?.teardown();
  });

  it('a push of the commit already deployed starts nothing, nor do its replays with new delivery ids or by GitLab token', async () => {
    r = await start(3);
    await deployed(A);
    const body = push(A);
    const first = await r.post('/hooks/app1', body, github(body, 'rx-a1'));
    expect(first.status, first.body).toBe(200);
    expect(JSON.parse(first.body)).toEqual({ ignored: `commit ${A} is already deployed` });
    expect((await r.post('/hooks/app1', body, github(body, 'rx-a2'))).status).toBe(200);
    expect((await r.post('/hooks/app1', body, gitlab('gl-a3'))).status).toBe(200);
    expect(started()).toEqual([]);
    expect(await buildersRunning()).toBe('');
    expect(r.log().map((e) => [e.delivery, e.result, e.status])).toEqual([
      ['rx-a1', 'ignored', 200],
      ['rx-a2', 'ignored', 200],
      ['gl-a3', 'ignored', 200],
    ]);
    // positive control: another commit does start a deploy
    const other = push(B);
    const res = await r.post('/hooks/app1', other, github(other, 'rx-a4'));
    expect(res.status, res.body).toBe(202);
    expect(started()).toEqual([(JSON.parse(res.body) as { deployId: string }).deployId]);
    expect(await buildersRunning()).not.toBe('');
  });

  it('replays of a push while its deploy runs, and after it deployed, start no second deploy', async () => {
    r = await start(4);
    const body = push(B);
    const res = await r.post('/hooks/app1', body, github(body, 'rx-b1'));
    expect(res.status, res.body).toBe(202);
    const { deployId } = JSON.parse(res.body) as { deployId: string };
    expect(await buildersRunning()).not.toBe('');
    const again = await r.post('/hooks/app1', body, github(body, 'rx-b2'));
    expect(again.status).toBe(202);
    expect(JSON.parse(again.body)).toEqual({ ignored: `commit ${B} is already being deployed (${deployId})` });
    expect(JSON.parse((await r.post('/hooks/app1', body, gitlab('gl-b3'))).body)).toMatchObject({ ignored: expect.stringMatching(/already being deployed/) });
    expect(started()).toEqual([deployId]);
    // the job ends and has deployed B: a later replay finds it deployed
    await noBuilderRunning();
    await deployed(B);
    const late = await r.post('/hooks/app1', body, github(body, 'rx-b4'));
    expect([late.status, JSON.parse(late.body)]).toEqual([200, { ignored: `commit ${B} is already deployed` }]);
    await new Promise((resolve) => setTimeout(resolve, 1000)); // several rounds of the queue
    expect(started()).toEqual([deployId]);
    expect(await buildersRunning()).toBe('');
  });

  it('a queued push whose commit the running job (one the app started) deployed is dropped, not deployed again', async () => {
    r = await start(0);
    // A job started by the app: its builder runs and its state names the commit it fetched (as the job script writes it).
    const job = 'dmanual0001';
    mkdirSync(join(r.dir, 'jobs', job), { recursive: true });
    writeFileSync(join(r.dir, 'jobs', job, 'state.json'), JSON.stringify({ status: 'running', step: 'build', progress: 20, image: 'openpanel/sample:x', commit: A, container: 'op-sample-x', buildMs: null, error: '', at: 1 }));
    const manual = (await s.exec(['docker', 'run', '-d', '--label', `openpanel.job=${job}`, '--label', 'openpanel.job.app=app1', BUSYBOX_TAG, 'sleep', '600'], { check: true })).stdout.trim();
    const a = push(A);
    expect(JSON.parse((await r.post('/hooks/app1', a, github(a, 'rx-c1'))).body)).toEqual({ ignored: `commit ${A} is already being deployed (${job})` });
    const b = push(B);
    expect(JSON.parse((await r.post('/hooks/app1', b, github(b, 'rx-c2'))).body)).toEqual({ queued: true });
    // that job ends having deployed the branch head, B
    await deployed(B);
    await s.exec(['docker', 'rm', '-f', manual], { check: true });
    const dropped = await waitFor(() => r!.log().find((e) => e.delivery === 'rx-c2' && e.result !== 'queued'), 'the queued delivery to be handled', 10_000, 100);
    expect(dropped).toMatchObject({ result: 'ignored', status: 200, reason: `queued delivery: commit ${B} is already deployed` });
    expect(started()).toEqual([job]);
    expect(await buildersRunning()).toBe('');
  });

  it('limits deploy starts per app: a burst, then 429 with Retry-After, and nothing started', async () => {
    r = await start(0, { OP_DEPLOY_BURST: '2', OP_DEPLOY_REFILL_SECONDS: '60' });
    const ids: string[] = [];
    for (const n of [1, 2]) {
      const body = push(commit(n));
      const res = await r.post('/hooks/app1', body, github(body, `rx-d${n}`));
      expect(res.status, res.body).toBe(202);
      ids.push((JSON.parse(res.body) as { deployId: string }).deployId);
      await noBuilderRunning();
    }
    const body = push(commit(3));
    const res = await r.post('/hooks/app1', body, github(body, 'rx-d3'));
    expect(res.status, res.body).toBe(429);
    const retry = Number(res.headers['retry-after']);
    expect(retry).toBeGreaterThanOrEqual(1);
    expect(retry).toBeLessThanOrEqual(60);
    expect(r.log().at(-1)).toMatchObject({ delivery: 'rx-d3', result: 'refused', status: 429, reason: expect.stringMatching(/^more than 2 deploy starts .* retry in \d+ s$/) });
    expect(started()).toEqual(ids.sort());
    // a refused delivery is not remembered: the forge may send it again later
    expect(readFileSync(join(r.dir, 'webhooks/seen.json'), 'utf8')).not.toContain('rx-d3');
  });

  it('remembers handled deliveries across a receiver restart, in a bounded file replaced atomically', async () => {
    r = await start(0, { OP_SEEN_MAX: '3' });
    const body = push(A);
    const res = await r.post('/hooks/app1', body, github(body, 'rx-e1'));
    expect(res.status, res.body).toBe(202);
    await noBuilderRunning();
    expect(started()).toHaveLength(1);

    const before = r.proc.pid;
    await r.kill();
    expect(r.proc.exitCode !== null || r.proc.signalCode !== null).toBe(true);
    r = await start(0, { OP_SEEN_MAX: '3' }, r.dir);
    expect(r.proc.pid).not.toBe(before);
    // A is not deployed (this builder deploys nothing), so only the remembered delivery id stops it
    const replay = await r.post('/hooks/app1', body, github(body, 'rx-e1'));
    expect([replay.status, JSON.parse(replay.body)]).toEqual([202, { ignored: 'this delivery was already handled' }]);
    expect(started()).toHaveLength(1);

    await deployed(B);
    const b = push(B);
    for (const n of [2, 3, 4]) expect((await r.post('/hooks/app1', b, github(b, `rx-e${n}`))).status).toBe(200);
    const seen = JSON.parse(readFileSync(join(r.dir, 'webhooks/seen.json'), 'utf8')) as { deliveries: { key: string; at: number }[] };
    expect(seen.deliveries.map((d) => d.key)).toEqual(['app1:rx-e2', 'app1:rx-e3', 'app1:rx-e4']);
    expect(seen.deliveries.every((d) => Math.abs(d.at - Date.now()) < 60_000)).toBe(true);
    expect(readdirSync(join(r.dir, 'webhooks')).sort()).toEqual(['apps', 'deliveries.log', 'seen.json']);
  });
});
