import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Testbed, type TestServer } from '../testbed/index.ts';
import { rpcError, startTestApp, waitFor, type TestApp } from '../helpers/app.ts';
import { addServer } from '../helpers/servers.ts';
import { DRIVER, followDeploy, getByHost, GitRepo, loadShipImages, postByHost, SAMPLE_DOCKERFILE, setupProxy } from './deploy-fixture.ts';

const HOOK_HOST = 'hooks.test';

const hmac = (secret: string, body: string) => createHmac('sha256', secret).update(body).digest('hex');
const pushBody = (ref: string, after: string) => JSON.stringify({ ref, before: '0'.repeat(40), after, repository: { full_name: 'me/sample' }, pusher: { name: 'me' } });

describe(`push-to-deploy webhook through the ${DRIVER} proxy (real sshd + dockerd)`, () => {
  let bed: Testbed;
  let s: TestServer;
  let app: TestApp;
  let repo: GitRepo;
  let serverId: string;
  let appId: string;
  let secret: string;
  let path: string;
  const dataDir = mkdtempSync(join(tmpdir(), 'openpanel-hook-app-'));

  const github = (body: string, key = secret, event = 'push', delivery = `gh-${Date.now()}-${Math.random()}`) => postByHost(s.host, HOOK_HOST, path, body, { 'X-GitHub-Event': event, 'X-GitHub-Delivery': delivery, 'X-Hub-Signature-256': `sha256=${hmac(key, body)}` });
  const jobsOnServer = async () => (await s.exec(['docker', 'ps', '-aq', '--filter', `label=openpanel.job.app=${appId}`], { check: true })).stdout.trim();

  beforeAll(async () => {
    bed = await Testbed.create({ prefix: 'hook' });
    s = await bed.addServer({ name: 'hook' });
    const images = await loadShipImages(s);
    // The receiver's image (node:22-alpine by default) mapped through the image overrides, like the proxy's.
    images['node:22-alpine'] = await s.loadImage('debian', { packages: ['nodejs'], tag: 'openpanel-test/webhook:latest' });
    repo = new GitRepo();
    repo.commit({ 'Dockerfile': SAMPLE_DOCKERFILE, 'index.html': 'v1\n' }, 'v1');
    await repo.serve(bed);
    app = await startTestApp({ dataDir });
    serverId = (await addServer(app.client, s, { name: 'hook' })).id;
    await setupProxy(app.client, serverId, images);
    appId = (await app.client.apps.create({ name: 'hooked', serverId, source: { kind: 'git', url: repo.url, branch: 'main' }, port: 8080, domains: [{ host: 'hooked.test', tls: false }], env: { GREETING: 'from-the-keychain' } })).id;
  });
  afterAll(async () => {
    await app?.close();
    repo?.close();
    await bed?.teardown();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('turns push-to-deploy on: the secret is shown once, kept in the keychain, and root-only on the server', async () => {
    const e = await rpcError(app.client.apps.webhook.enable({ id: appId, host: 'hooked.test', tls: false }));
    expect(e.code).toBe('CONFLICT');
    expect(e.message).toMatch(/^host: hooked\.test is a domain of the app hooked/);
    const bad = await rpcError(app.client.apps.webhook.enable({ id: appId, host: 'not a host', tls: false }));
    expect((bad.data as { issues: { path: string }[] }).issues.map((i) => i.path)).toEqual(['host']);

    const on = await app.client.apps.webhook.enable({ id: appId, host: HOOK_HOST, tls: false });
    expect(on.secret).toMatch(/^[0-9a-f]{64}$/);
    secret = on.secret!;
    expect(on.url).toBe(`http://${HOOK_HOST}/hooks/${appId}`);
    path = new URL(on.url!).pathname;
    const got = await app.client.apps.webhook.get({ id: appId });
    expect(got).toMatchObject({ enabled: true, host: HOOK_HOST, tls: false, url: on.url });
    expect(got).not.toHaveProperty('secret');
    // not in SQLite (only a keychain reference), but in the keychain
    const row = app.services.storage.sqlite.prepare('SELECT webhook FROM apps WHERE id = ?').get(appId) as { webhook: string };
    expect(row.webhook).not.toContain(secret);
    expect(app.services.secrets.list().filter((r) => r.kind === 'webhook-secret')).toHaveLength(1);
    // on the server: the spec (secret, env values) is 0600 root, in a 0700 folder; the receiver runs
    const st = await s.exec(['stat', '-c', '%a %u %n', `/tmp/openpanel/webhooks/apps/${appId}.json`, '/tmp/openpanel/webhooks/apps'], { check: true });
    expect(st.stdout.trim().split('\n')).toEqual([`600 0 /tmp/openpanel/webhooks/apps/${appId}.json`, '700 0 /tmp/openpanel/webhooks/apps']);
    const ps = await s.exec(['docker', 'inspect', '-f', '{{.State.Running}} {{.Config.Image}}', 'openpanel-webhook'], { check: true });
    expect(ps.stdout.trim()).toBe('true openpanel-test/webhook:latest');
  });

  it('refuses a wrong signature (401, logged with the reason), ignores other branches, answers pings, starts nothing', async () => {
    const head = repo.git(['rev-parse', 'HEAD']).trim();
    const main = pushBody('refs/heads/main', head);
    expect((await github(main, 'not-the-secret')).status).toBe(401);
    expect((await postByHost(s.host, HOOK_HOST, path, main, { 'X-Gitea-Event': 'push', 'X-Gitea-Signature': hmac('not-the-secret', main) })).status).toBe(401);
    expect((await postByHost(s.host, HOOK_HOST, path, main, { 'X-Gitlab-Event': 'Push Hook', 'X-Gitlab-Token': 'not-the-secret' })).status).toBe(401);
    expect((await github(pushBody('refs/heads/feature', head))).status).toBe(202);
    expect((await postByHost(s.host, HOOK_HOST, path, pushBody('refs/heads/feature', head), { 'X-Gitlab-Event': 'Push Hook', 'X-Gitlab-Token': secret })).status).toBe(202);
    expect((await github(JSON.stringify({ zen: 'Keep it logically awesome.' }), secret, 'ping')).status).toBe(200);

    const deliveries = await app.client.apps.webhook.deliveries({ id: appId });
    expect(deliveries.slice(0, 6).map((d) => [d.provider, d.result, d.status]).reverse()).toEqual([
      ['github', 'refused', 401],
      ['gitea', 'refused', 401],
      ['gitlab', 'refused', 401],
      ['github', 'ignored', 202],
      ['gitlab', 'ignored', 202],
      ['github', 'ping', 200],
    ]);
    expect(deliveries[5]!.reason).toMatch(/X-Hub-Signature-256 does not match/);
    expect(deliveries[1]!.reason).toBe('push to refs/heads/feature, the app deploys refs/heads/main');
    expect(deliveries.every((d) => d.deployId === null)).toBe(true);
    expect(await app.client.apps.deploys({ id: appId })).toEqual([]);
    expect(await jobsOnServer()).toBe('');
    // the secret is in neither the deliveries log nor the receiver's output
    expect((await s.exec(['cat', '/tmp/openpanel/webhooks/deliveries.log'], { check: true })).stdout).not.toContain(secret);
    const logs = await s.exec(['docker', 'logs', 'openpanel-webhook'], { check: true });
    expect(logs.stdout + logs.stderr).toContain('refused');
    expect(logs.stdout + logs.stderr).not.toContain(secret);
  });

  it('a signed GitHub push of the branch starts the same deploy job, which succeeds and shows in the history', async () => {
    const head = repo.git(['rev-parse', 'HEAD']).trim();
    const res = await github(pushBody('refs/heads/main', head), secret, 'push', 'gh-first');
    expect(res.status, res.body).toBe(202);
    const { deployId } = JSON.parse(res.body) as { deployId: string };
    // the same signed payload again under a new delivery id (which is not signed) while the job runs
    const replay = await github(pushBody('refs/heads/main', head), secret, 'push', 'gh-replay-1');
    expect([replay.status, JSON.parse(replay.body)]).toEqual([202, { ignored: `commit ${head} is already being deployed (${deployId})` }]);
    expect(deployId).toMatch(/^d[a-z0-9]+$/);
    // a deploy from the app is refused while the webhook's job runs: looked up on the server, not only in SQLite
    const busy = await rpcError(app.client.apps.deploy({ id: appId }));
    expect(busy.code).toBe('CONFLICT');
    const [replayed, latest] = await app.client.apps.webhook.deliveries({ id: appId, limit: 2 });
    expect(latest).toMatchObject({ provider: 'github', delivery: 'gh-first', result: 'started', deployId, ref: 'refs/heads/main', commit: head });
    expect(replayed).toMatchObject({ delivery: 'gh-replay-1', result: 'ignored', status: 202, deployId: null });
    const { deploy, log } = await followDeploy(app.client, deployId, 120_000);
    expect(deploy.status, log).toBe('succeeded');
    expect(deploy).toMatchObject({ trigger: 'webhook', kind: 'deploy', commit: head, image: `openpanel/hooked:${deployId}` });
    expect(log).toContain('==> Building openpanel/hooked:');
    expect(log).toContain('==> Deployed');
    expect(await getByHost(s.host, 'hooked.test')).toEqual({ status: 200, body: 'v1\n' });
    // the env value came from the keychain through the spec: the same job as a deploy started by the app
    const env = await s.exec(['docker', 'inspect', '-f', '{{range .Config.Env}}{{println .}}{{end}}', deploy.container!], { check: true });
    expect(env.stdout).toContain('GREETING=from-the-keychain');
    expect((await app.client.apps.deploys({ id: appId })).map((d) => [d.id, d.trigger, d.status])).toEqual([[deployId, 'webhook', 'succeeded']]);
    expect(JSON.parse((await s.exec(['cat', `/tmp/openpanel/jobs/${deployId}/trigger.json`], { check: true })).stdout)).toMatchObject({ trigger: 'webhook', appId, provider: 'github' });

    // Deployed: replays find the commit on the running container (the image's openpanel.commit label).
    const late = await github(pushBody('refs/heads/main', head), secret, 'push', 'gh-replay-2');
    expect([late.status, JSON.parse(late.body)]).toEqual([200, { ignored: `commit ${head} is already deployed` }]);
    // The receiver restarts (a new process: its start time changes); the handled delivery ids were kept on disk.
    const startedAt = async () => (await s.exec(['docker', 'inspect', '-f', '{{.State.StartedAt}}', 'openpanel-webhook'], { check: true })).stdout.trim();
    const before = await startedAt();
    await s.exec(['docker', 'restart', '-t', '5', 'openpanel-webhook'], { check: true, timeoutMs: 30_000 });
    expect(await startedAt()).not.toBe(before);
    const again = await waitFor(async () => {
      const r = await github(pushBody('refs/heads/main', head), secret, 'push', 'gh-first');
      return r.status === 502 || r.status === 0 ? null : r;
    }, 'the restarted receiver to answer', 20_000, 200);
    expect([again.status, JSON.parse(again.body)]).toEqual([202, { ignored: 'this delivery was already handled' }]);
    expect((await app.client.apps.deploys({ id: appId })).map((d) => d.id)).toEqual([deployId]);
    expect(await jobsOnServer()).toBe('');
    // Behind the proxy the client is the one the proxy saw (its X-Forwarded-For), not the proxy's own address.
    const proxyIp = (await s.exec(['docker', 'inspect', '-f', '{{range .NetworkSettings.Networks}}{{.IPAddress}} {{end}}', 'openpanel-proxy'], { check: true })).stdout.trim().split(' ');
    const [last] = await app.client.apps.webhook.deliveries({ id: appId, limit: 1 });
    expect(last).toMatchObject({ delivery: 'gh-first', result: 'ignored' });
    expect(last!.remote).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    expect(proxyIp).not.toContain(last!.remote);
  });

  it('a signed Gitea push while the app is closed deploys on the server; the app imports it with its log when it starts', async () => {
    const head = repo.commit({ 'index.html': 'v2\n' }, 'v2');
    await app.close();
    const body = pushBody('refs/heads/main', head);
    const res = await postByHost(s.host, HOOK_HOST, path, body, { 'X-Gitea-Event': 'push', 'X-Gitea-Delivery': 'gitea-1', 'X-Gitea-Signature': hmac(secret, body) });
    expect(res.status, res.body).toBe(202);
    const { deployId } = JSON.parse(res.body) as { deployId: string };
    await waitFor(async () => /"status":"succeeded"/.test((await s.exec(['cat', `/tmp/openpanel/jobs/${deployId}/state.json`])).stdout), 'the job to finish on the server', 120_000, 500);
    expect(await getByHost(s.host, 'hooked.test')).toEqual({ status: 200, body: 'v2\n' });

    app = await startTestApp({ dataDir });
    // the background look at the server imports it, without anyone opening the deliveries
    const imported = await waitFor(async () => (await app.client.apps.deploys({ id: appId })).find((d) => d.id === deployId && d.status === 'succeeded'), 'the webhook deploy in the history', 60_000, 500);
    expect(imported).toMatchObject({ trigger: 'webhook', commit: head });
    const log = (await app.client.apps.deployLog({ deployId })).text;
    expect(log).toContain(`commit ${head}`);
    expect(log).toContain('==> Deployed');
    expect((await app.client.apps.deploys({ id: appId })).map((d) => d.trigger)).toEqual(['webhook', 'webhook']);
    expect((await app.client.apps.webhook.deliveries({ id: appId, limit: 1 }))[0]).toMatchObject({ provider: 'gitea', delivery: 'gitea-1', result: 'started', deployId });
  });

  it('a push while a job of the app runs waits for it, then deploys the branch head', async () => {
    const v3 = repo.commit({ 'Dockerfile': SAMPLE_DOCKERFILE.replace('COPY', 'RUN sleep 3\nCOPY'), 'index.html': 'v3\n' }, 'v3 (slow build)');
    const first = await github(pushBody('refs/heads/main', v3));
    expect(first.status, first.body).toBe(202);
    const firstId = (JSON.parse(first.body) as { deployId: string }).deployId;
    // v4 only after the job fetched v3: had it fetched v4, the queued push would rightly be dropped as deployed
    await waitFor(async () => (await s.exec(['cat', `/tmp/openpanel/jobs/${firstId}/state.json`])).stdout.includes(`"commit":"${v3}"`), 'the first job to fetch v3', 60_000, 200);
    const head = repo.commit({ 'index.html': 'v4\n' }, 'v4');
    const second = await github(pushBody('refs/heads/main', head));
    expect(JSON.parse(second.body)).toEqual({ queued: true });
    // reading the deliveries imports the started deploy into the history
    expect((await app.client.apps.webhook.deliveries({ id: appId, limit: 2 })).map((d) => [d.result, d.deployId])).toEqual([
      ['queued', null],
      ['started', firstId],
    ]);
    expect((await followDeploy(app.client, firstId, 120_000)).deploy.status).toBe('succeeded');
    const started = await waitFor(async () => (await app.client.apps.webhook.deliveries({ id: appId, limit: 1 })).find((d) => d.result === 'started' && d.deployId !== firstId), 'the queued push to start', 30_000, 500);
    expect(started).toMatchObject({ commit: head, reason: 'queued delivery, started after the previous job ended' });
    const { deploy, log } = await followDeploy(app.client, started.deployId!, 120_000);
    expect(deploy.status, log).toBe('succeeded');
    expect(deploy.commit).toBe(head);
    expect(await getByHost(s.host, 'hooked.test')).toEqual({ status: 200, body: 'v4\n' });
  });

  it('rotating the secret refuses the old one; turning it off removes the receiver, its specs and the secret', async () => {
    const old = secret;
    const rotated = await app.client.apps.webhook.rotate({ id: appId });
    expect(rotated.secret).toMatch(/^[0-9a-f]{64}$/);
    expect(rotated.secret).not.toBe(old);
    secret = rotated.secret!;
    const head = repo.git(['rev-parse', 'HEAD']).trim();
    expect((await github(pushBody('refs/heads/main', head), old)).status).toBe(401);
    expect((await github(pushBody('refs/heads/other', head))).status).toBe(202);

    const off = await app.client.apps.webhook.disable({ id: appId });
    expect(off).toMatchObject({ enabled: false, url: null });
    expect((await s.exec(['docker', 'ps', '-aq', '--filter', 'name=^openpanel-webhook$'], { check: true })).stdout.trim()).toBe('');
    expect((await s.exec(['ls', '/tmp/openpanel/webhooks'], { check: true })).stdout.trim().split('\n')).toEqual(['deliveries.log']);
    expect(app.services.secrets.list().filter((r) => r.kind === 'webhook-secret')).toEqual([]);
    const after = await github(pushBody('refs/heads/main', head));
    expect(after.status).not.toBe(202);
    // (a builder removes itself a moment after its job ended)
    await waitFor(async () => (await jobsOnServer()) === '', 'no job of the app on the server', 10_000, 200);
    // the history stays readable after the receiver is gone
    expect((await app.client.apps.webhook.deliveries({ id: appId, limit: 2 })).map((d) => d.result)).toEqual(['ignored', 'refused']);
  });
});
