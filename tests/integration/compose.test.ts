import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Testbed, type TestServer } from '../testbed/index.ts';
import { rpcError, startTestApp, waitFor, type TestApp } from '../helpers/app.ts';
import { addServer } from '../helpers/servers.ts';
import { API_CGI, COMPOSE, loadComposeImages, WEB_DOCKERFILE } from './compose-fixture.ts';
import { DRIVER, followDeploy, getByHost, GitRepo, setupProxy, TRAEFIK_IMAGE } from './deploy-fixture.ts';

describe(`Compose stacks from git through the ${DRIVER} proxy (real sshd + dockerd, docker-compose in the builder)`, () => {
  let bed: Testbed;
  let s: TestServer;
  let app: TestApp;
  let repo: GitRepo;
  let serverId: string;
  let appId: string;
  let firstDeployId: string;
  const host = 'stack.test';
  const project = 'op-stack';
  const ps = async (service: string) =>
    (await s.exec(['docker', 'ps', '-q', '--no-trunc', '--filter', `label=com.docker.compose.project=${project}`, '--filter', `label=com.docker.compose.service=${service}`], { check: true })).stdout.trim();

  beforeAll(async () => {
    bed = await Testbed.create({ prefix: 'compose' });
    s = await bed.addServer({ name: 'stack' });
    const images = await loadComposeImages(s);
    repo = new GitRepo();
    mkdirSync(join(repo.work, 'web'));
    repo.commit({ 'docker-compose.yml': COMPOSE, 'web/Dockerfile': WEB_DOCKERFILE, 'web/index.html': 'v1\n', 'web/api.cgi': API_CGI, 'broken.yml': 'services: [\n' }, 'v1');
    await repo.serve(bed);
    app = await startTestApp();
    serverId = (await addServer(app.client, s, { name: 'stack' })).id;
    await setupProxy(app.client, serverId, images);
  }, 300_000);
  afterAll(async () => {
    await app?.close();
    repo?.close();
    await bed?.teardown();
  });

  it('validates the Compose settings with messages that name the field', async () => {
    const e = await rpcError(
      app.client.apps.create({ name: 'bad', serverId, source: { kind: 'git', url: repo.url, branch: 'main' }, compose: { file: '../x.yml', project: 'Bad Name', service: 'we b' } } as never),
    );
    expect(e.code).toBe('INPUT_INVALID');
    const paths = (e.data as { issues: { path: string }[] }).issues.map((i) => i.path);
    expect(paths).toEqual(expect.arrayContaining(['compose.file', 'compose.project', 'compose.service']));
  });

  it('deploys a two-service stack: builds web, runs api, routes web by Host name through the proxy', async () => {
    const created = await app.client.apps.create({
      name: 'stack',
      serverId,
      source: { kind: 'git', url: repo.url, branch: 'main' },
      compose: { file: 'docker-compose.yml', service: 'web' },
      port: 8080,
      domains: [{ host, tls: false }],
      env: { GREETING: 'hello' },
    });
    appId = created.id;
    expect(created.compose).toEqual({ file: 'docker-compose.yml', project, service: 'web' });
    // a second app cannot take the same project name
    const taken = await rpcError(app.client.apps.create({ name: 'other', serverId, source: { kind: 'git', url: repo.url, branch: 'main' }, compose: { project } }));
    expect(taken.code).toBe('CONFLICT');
    expect(taken.message).toContain('compose.project');

    const started = await app.client.apps.deploy({ id: appId });
    firstDeployId = started.id;
    expect(started.image).toBe(`compose:${project}@${started.id}`);
    const steps = new Set<string>();
    const { deploy, log } = await followDeploy(app.client, started.id, 180_000, (d) => steps.add(d.step));
    expect(deploy.status, log).toBe('succeeded');
    expect(deploy.commit).toBe(repo.git(['rev-parse', 'HEAD']).trim());
    expect([...steps]).toEqual(expect.arrayContaining(['build', 'done']));
    expect(log).toContain(`==> Starting the stack ${project} (revision ${started.id})`);
    expect(log).toContain('==> Waiting until service web answers on port 8080/');
    expect(log).toContain('==> Routing to service web as op-stack-web');
    expect(log).toMatch(/compose: 1\.29\.\d+ \(docker-compose\)/);
    expect(log).toContain('built here: web');
    expect(log).toContain('==> Building web');
    expect(log).toContain(`==> Deployed revision ${started.id} of stack ${project}`);
    expect((await app.client.apps.deployLog({ deployId: started.id })).text).toBe(log);

    expect(await getByHost(s.host, host)).toEqual({ status: 200, body: 'v1\n' });
    // web reaches api by its service name; api's answer was interpolated from the keychain value
    expect(await getByHost(s.host, host, '/cgi-bin/api')).toEqual({ status: 200, body: 'api says hello\n' });
    const web = await ps('web');
    expect(web).not.toBe('');
    expect(await ps('api')).not.toBe('');
    const inspect = JSON.parse((await s.exec(['docker', 'inspect', web], { check: true })).stdout)[0];
    expect(inspect.Config.Image).toBe(`openpanel/stack-web:${started.id}`);
    expect(inspect.Config.Env).toContain('GREETING=hello');
    expect(inspect.Config.Labels['openpanel.app']).toBe(appId);
    expect(Object.keys(inspect.NetworkSettings.Networks).sort()).toEqual(['op-stack_default', 'openpanel']);
    // the env value is nowhere in the files kept on the server
    const grep = await s.exec(['grep', '-rl', 'hello', `/tmp/openpanel/stacks/${appId}`, `/tmp/openpanel/jobs/${started.id}`]);
    expect(grep.stdout).toBe('');
    expect(JSON.parse((await s.exec(['cat', `/tmp/openpanel/jobs/${deploy.id}/state.json`], { check: true })).stdout)).toMatchObject({ status: 'succeeded', step: 'done' });
  });

  it('fails a deploy whose Compose file is missing or does not parse, with the reason in the log, and keeps the stack serving', async () => {
    const webBefore = await ps('web');
    for (const [file, message] of [
      ['nope.yml', 'compose.file: nope.yml does not exist in the source'],
      ['broken.yml', 'compose.file: broken.yml is not a valid Compose file'],
    ] as const) {
      await app.client.apps.update({ id: appId, compose: { file, project, service: 'web' } });
      const started = await app.client.apps.deploy({ id: appId });
      const { deploy, log } = await followDeploy(app.client, started.id, 120_000);
      expect(deploy.status, log).toBe('failed');
      expect(deploy.error).toContain(message);
      expect(log).toContain(`!! ${message}`);
      expect(log).not.toContain('==> Starting');
      expect(await getByHost(s.host, host)).toEqual({ status: 200, body: 'v1\n' });
      expect(await s.fileExists(`/tmp/openpanel/stacks/${appId}/${started.id}`)).toBe(false);
    }
    // a service name that is not in the file
    await app.client.apps.update({ id: appId, compose: { file: 'docker-compose.yml', project, service: 'nginx' } });
    const started = await app.client.apps.deploy({ id: appId });
    const { deploy, log } = await followDeploy(app.client, started.id, 120_000);
    expect(deploy.status, log).toBe('failed');
    expect(deploy.error).toMatch(/^compose\.service: docker-compose\.yml has no service named nginx \(services: (api web|web api)\)$/);
    await app.client.apps.update({ id: appId, compose: { file: 'docker-compose.yml', project, service: 'web' } });
    expect(await ps('web')).toBe(webBefore);
    expect(await getByHost(s.host, host)).toEqual({ status: 200, body: 'v1\n' });
  });

  it('brings the previous revision back when the new one fails its health check', async () => {
    await app.client.apps.update({ id: appId, health: { path: '/', timeoutSeconds: 4 } });
    repo.commit({ 'web/Dockerfile': WEB_DOCKERFILE.replace('-h /www', '-h /tmp') }, 'serves nothing');
    const started = await app.client.apps.deploy({ id: appId });
    const { deploy, log } = await followDeploy(app.client, started.id, 120_000);
    expect(deploy.status, log).toBe('failed');
    expect(deploy.error).toBe('the health check of service web did not pass in time');
    expect(log).toContain(`==> Bringing the previous revision ${firstDeployId} back up`);
    expect((await s.exec(['docker', 'inspect', '-f', '{{.Config.Image}}', await ps('web')], { check: true })).stdout.trim()).toBe(`openpanel/stack-web:${firstDeployId}`);
    expect(await getByHost(s.host, host)).toEqual({ status: 200, body: 'v1\n' });
    expect((await s.exec(['docker', 'images', '-q', `openpanel/stack-web:${started.id}`], { check: true })).stdout.trim()).toBe('');
    await app.client.apps.update({ id: appId, health: { path: '/', timeoutSeconds: 60 } });
    expect((await app.client.apps.get({ id: appId })).port).toBe(8080);
  });

  it('cancels a deploy while it builds and keeps the stack serving', async () => {
    repo.commit({ 'web/Dockerfile': WEB_DOCKERFILE.replace('RUN chmod', 'RUN sleep 30\nRUN chmod') }, 'slow build');
    const started = await app.client.apps.deploy({ id: appId });
    await waitFor(async () => (await app.client.apps.deploys({ id: appId, limit: 1 }))[0]!.step === 'build', 'the build step', 30_000, 100);
    expect((await app.client.apps.cancel({ deployId: started.id })).status).toBe('cancelled');
    await waitFor(async () => (await s.exec(['docker', 'ps', '-aq', '--filter', `label=openpanel.job=${started.id}`], { check: true })).stdout.trim() === '', 'the builder to be removed', 10_000, 200);
    expect(await getByHost(s.host, host)).toEqual({ status: 200, body: 'v1\n' });
  });

  it('redeploys a change: web is rebuilt and recreated, api (unchanged) keeps running', async () => {
    const apiBefore = await ps('api');
    repo.commit({ 'web/Dockerfile': WEB_DOCKERFILE, 'web/index.html': 'v2\n' }, 'v2');
    const started = await app.client.apps.deploy({ id: appId });
    const { deploy, log } = await followDeploy(app.client, started.id, 180_000);
    expect(deploy.status, log).toBe('succeeded');
    expect(await getByHost(s.host, host)).toEqual({ status: 200, body: 'v2\n' });
    expect(await getByHost(s.host, host, '/cgi-bin/api')).toEqual({ status: 200, body: 'api says hello\n' });
    expect(await ps('api')).toBe(apiBefore);
    // the failed deploys left no revision behind, the cancelled one was pruned; two complete ones are kept
    const revs = (await s.exec(['ls', `/tmp/openpanel/stacks/${appId}`], { check: true })).stdout.trim().split('\n').sort();
    expect(revs).toEqual([firstDeployId, started.id, 'current'].sort());
  });

  it('rolls back to the first revision without rebuilding, re-using the image api ran even after its tag moved', async () => {
    const recorded = (await s.exec(['docker', 'image', 'inspect', '-f', '{{.Id}}', 'busybox:latest'], { check: true })).stdout.trim();
    // busybox:latest now names another image (as after a pull of a newer one)
    const other = (await s.exec(['docker', 'images', '-q', '--no-trunc', 'openpanel-test/caddy:latest'], { check: true })).stdout.trim() || (await s.exec(['docker', 'images', '-q', '--no-trunc', TRAEFIK_IMAGE], { check: true })).stdout.trim();
    await s.exec(['docker', 'tag', other, 'busybox:latest'], { check: true });
    try {
      expect((await app.client.apps.images({ id: appId })).map((i) => i.deployId)).toContain(firstDeployId);
      const t0 = Date.now();
      const started = await app.client.apps.rollback({ id: appId, toDeployId: firstDeployId });
      expect(started.image).toBe(`compose:${project}@${firstDeployId}`);
      const { deploy, log } = await followDeploy(app.client, started.id, 120_000);
      expect(deploy.status, log).toBe('succeeded');
      expect(deploy.kind).toBe('rollback');
      expect(log).toContain(`Using the kept revision ${firstDeployId} (no rebuild)`);
      expect(log).not.toContain('==> Building');
      expect(log).toContain('service api: busybox:latest now names another image');
      expect(Date.now() - t0).toBeLessThan(60_000);
      expect(await getByHost(s.host, host)).toEqual({ status: 200, body: 'v1\n' });
      expect(await getByHost(s.host, host, '/cgi-bin/api')).toEqual({ status: 200, body: 'api says hello\n' });
      expect((await s.exec(['docker', 'inspect', '-f', '{{.Image}}', await ps('api')], { check: true })).stdout.trim()).toBe(recorded);
      const history = await app.client.apps.deploys({ id: appId });
      expect(history.map((d) => `${d.kind} ${d.status}`)).toEqual(['rollback succeeded', 'deploy succeeded', 'deploy cancelled', 'deploy failed', 'deploy failed', 'deploy failed', 'deploy failed', 'deploy succeeded']);
    } finally {
      await s.exec(['docker', 'tag', recorded, 'busybox:latest'], { check: true });
    }
  });

  it('refuses to roll a Compose app back to nothing that is a revision', async () => {
    const failed = (await app.client.apps.deploys({ id: appId })).find((d) => d.status === 'failed')!;
    expect((await rpcError(app.client.apps.rollback({ id: appId, toDeployId: failed.id }))).code).toBe('INPUT_INVALID');
  });

  it('removes the app with compose down: containers, network, revisions and route go, the volume stays', async () => {
    expect(await app.client.apps.remove({ id: appId })).toEqual({ removed: true });
    const left = await s.exec(['docker', 'ps', '-aq', '--filter', `label=com.docker.compose.project=${project}`], { check: true });
    expect(left.stdout.trim()).toBe('');
    expect((await s.exec(['docker', 'network', 'ls', '-q', '--filter', `name=${project}_default`], { check: true })).stdout.trim()).toBe('');
    expect((await s.exec(['docker', 'volume', 'ls', '-q'], { check: true })).stdout).toContain(`${project}_data`);
    expect(await s.fileExists(`/tmp/openpanel/stacks/${appId}`)).toBe(false);
    expect((await s.exec(['docker', 'images', '-q', 'openpanel/stack-web'], { check: true })).stdout.trim()).toBe('');
    expect((await getByHost(s.host, host)).body).not.toContain('v1');
    expect((await rpcError(app.client.apps.get({ id: appId }))).code).toBe('NOT_FOUND');
  });

  it('deploys a stack from an uploaded folder, and removes it with its volumes when asked', async () => {
    const up = await app.client.apps.create({
      name: 'upstack',
      serverId,
      source: { kind: 'upload', path: repo.work },
      compose: {},
      port: 8080,
      domains: [{ host: 'upstack.test', tls: false }],
      env: { GREETING: 'from upload' },
    });
    expect(up.compose).toEqual({ file: 'docker-compose.yml', project: 'op-upstack', service: 'web' });
    const started = await app.client.apps.deploy({ id: up.id });
    const { deploy, log } = await followDeploy(app.client, started.id, 180_000);
    expect(deploy.status, log).toBe('succeeded');
    expect(deploy.commit).toBe('upload');
    expect(await getByHost(s.host, 'upstack.test')).toEqual({ status: 200, body: 'v2\n' });
    expect(await getByHost(s.host, 'upstack.test', '/cgi-bin/api')).toEqual({ status: 200, body: 'api says from upload\n' });
    expect((await s.exec(['docker', 'volume', 'ls', '-q'], { check: true })).stdout).toContain('op-upstack_data');
    expect(await app.client.apps.remove({ id: up.id, removeVolumes: true })).toEqual({ removed: true });
    expect((await s.exec(['docker', 'ps', '-aq', '--filter', 'label=com.docker.compose.project=op-upstack'], { check: true })).stdout.trim()).toBe('');
    expect((await s.exec(['docker', 'volume', 'ls', '-q'], { check: true })).stdout).not.toContain('op-upstack_data');
  });
});
