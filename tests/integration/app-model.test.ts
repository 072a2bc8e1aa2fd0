// The app model end to end on real test servers: every field edited and seen on the container after the next deploy,
// a deploy key over an ssh:// git URL served by a second server's sshd (host key pinned on first use), a local folder
// uploaded as the build context, and removal of everything an app leaves behind.
import { execFileSync } from 'node:child_process';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Testbed, type TestServer } from '../testbed/index.ts';
import { rpcError, startTestApp, type TestApp } from '../helpers/app.ts';
import { addServer } from '../helpers/servers.ts';
import { DRIVER, followDeploy, getByHost, GitRepo, loadShipImages, setupProxy } from './deploy-fixture.ts';

/** busybox httpd serving every .html of the build context (so a health path can be a page of its own). */
const DOCKERFILE = 'FROM busybox:latest\nCOPY *.html /www/\nCMD ["sh", "-c", "trap \'exit 0\' TERM; httpd -f -p 8080 -h /www & wait"]\n';
const OLD_SECRET = 'old-secret-value-4f1c';
const NEW_SECRET = 'new-secret-value-9a7e';
const ADDED_SECRET = 'added-secret-value-2b3d';
const DATA = '/tmp/openpanel';

describe(`the app model: edit, deploy key over ssh, local folder, removal (${DRIVER}, real sshd + dockerd)`, () => {
  let bed: Testbed;
  let s: TestServer;
  let gitsrv: TestServer;
  let app: TestApp;
  let repo: GitRepo;
  let serverId: string;
  let images: Record<string, string>;
  let noSshBuilder: string;
  let editedId: string;
  let sshAppId: string;
  const folder = mkdtempSync(join(tmpdir(), 'openpanel-upload-'));

  const issuesOf = async (call: Promise<unknown>) => {
    const e = await rpcError(call);
    expect(e.code).toBe('INPUT_INVALID');
    return (e.data as { issues: { path: string; message: string }[] }).issues;
  };
  const inspect = async (container: string, format: string) => (await s.exec(['docker', 'inspect', '-f', format, container], { check: true })).stdout.trim();
  const setBuilder = (builder: string) =>
    app.client.proxy.updateSettings({ serverId, settings: { driver: DRIVER, dataDir: DATA, httpsRedirect: false, imageOverrides: { prefix: null, images: { ...images, 'docker:27-cli': builder } } } });
  /** Every value in the keychain of the app's references, and the bytes of the SQLite files (WAL included). */
  const keychainValues = async () => Promise.all(app.services.secrets.list().map(async (r) => ({ ...r, value: await app.services.secrets.get(r.ref) })));
  const sqliteText = () => {
    app.services.storage.sqlite.pragma('wal_checkpoint(FULL)');
    return ['openpanel.db', 'openpanel.db-wal']
      .map((f) => {
        try {
          return readFileSync(join(app.dataDir, f)).toString('latin1');
        } catch {
          return '';
        }
      })
      .join('');
  };
  const auditText = () => JSON.stringify(app.services.storage.sqlite.prepare('SELECT action, input FROM audit_log').all());

  beforeAll(async () => {
    bed = await Testbed.create({ prefix: 'appmod' });
    const servers = await bed.addServers([{ name: 'ship' }, { name: 'gitsrv' }]);
    s = servers[0]!;
    gitsrv = servers[1]!;
    images = await loadShipImages(s);
    // The stand-in builder without an ssh client (what a custom builder image may lack).
    noSshBuilder = await s.loadImage('debian', { packages: ['git', 'docker.io'], tag: 'openpanel-test/builder-nossh:latest' });
    images['node:22-alpine'] = await s.loadImage('debian', { packages: ['nodejs'], tag: 'openpanel-test/webhook:latest' });
    repo = new GitRepo();
    repo.commit({ 'Dockerfile': DOCKERFILE, 'index.html': 'v1\n', 'health.html': 'ok\n' }, 'v1');
    await repo.serve(bed);
    app = await startTestApp();
    serverId = (await addServer(app.client, s, { name: 'ship' })).id;
    await setupProxy(app.client, serverId, images);
  });
  afterAll(async () => {
    await app?.close();
    repo?.close();
    await bed?.teardown();
    rmSync(folder, { recursive: true, force: true });
  });

  it('edits env, limits, restart policy, health check and domains; they reach the container at the next deploy; secrets only in the keychain', async () => {
    const created = await app.client.apps.create({
      name: 'edited', serverId, source: { kind: 'git', url: repo.url, branch: 'main' }, port: 8080,
      domains: [{ host: 'edit-one.test', tls: false }], env: { KEEP: 'k1', TOKEN: OLD_SECRET },
    });
    editedId = created.id;
    const first = await followDeploy(app.client, (await app.client.apps.deploy({ id: editedId })).id);
    expect(first.deploy.status, first.log).toBe('succeeded');
    expect(await getByHost(s.host, 'edit-one.test')).toEqual({ status: 200, body: 'v1\n' });
    const tokenRef = app.services.secrets.list().find((r) => r.kind === 'app-env' && r.label === 'edited TOKEN')!.ref;

    // bad input: each error names its field
    expect((await issuesOf(app.client.apps.update({ id: editedId, limits: { memoryMb: 2, cpus: null } }))).map((i) => i.path)).toEqual(['limits.memoryMb']);
    expect((await issuesOf(app.client.apps.update({ id: editedId, limits: { memoryMb: null, cpus: 0 } }))).map((i) => i.path)).toEqual(['limits.cpus']);
    expect((await issuesOf(app.client.apps.update({ id: editedId, health: { path: 'health.html', timeoutSeconds: 30 } }))).map((i) => i.path)).toEqual(['health.path']);
    expect((await issuesOf(app.client.apps.update({ id: editedId, health: { path: '/', timeoutSeconds: 0 } }))).map((i) => i.path)).toEqual(['health.timeoutSeconds']);
    expect((await issuesOf(app.client.apps.update({ id: editedId, restart: 'sometimes' } as never))).map((i) => i.path)).toEqual(['restart']);
    expect((await issuesOf(app.client.apps.update({ id: editedId, port: 70_000 }))).map((i) => i.path)).toEqual(['port']);
    expect((await issuesOf(app.client.apps.update({ id: editedId, domains: [{ host: 'not a host', tls: false }] }))).map((i) => i.path)).toEqual(['domains[0].host']);
    expect((await issuesOf(app.client.apps.update({ id: editedId, env: { 'BAD NAME': 'x' } }))).map((i) => i.path)[0]).toMatch(/^env/);
    expect((await issuesOf(app.client.apps.update({ id: editedId, env: { TOKEN: 'two\nlines' } }))).map((i) => i.path)).toEqual(['env.TOKEN']);
    expect((await issuesOf(app.client.apps.update({ id: editedId, dockerfile: '../Dockerfile' }))).map((i) => i.path)).toEqual(['dockerfile']);
    expect((await issuesOf(app.client.apps.update({ id: editedId, name: 'renamed' }))).map((i) => i.path)).toEqual(['name']);
    expect((await app.client.apps.get({ id: editedId })).envNames).toEqual(['KEEP', 'TOKEN']);

    const updated = await app.client.apps.update({
      id: editedId,
      env: { TOKEN: NEW_SECRET, ADDED: ADDED_SECRET, KEEP: null },
      limits: { memoryMb: 64, cpus: 0.5 },
      health: { path: '/health.html', timeoutSeconds: 30 },
      restart: 'on-failure',
      domains: [{ host: 'edit-two.test', tls: false }],
    });
    expect(updated).toMatchObject({ envNames: ['ADDED', 'TOKEN'], limits: { memoryMb: 64, cpus: 0.5 }, health: { path: '/health.html', timeoutSeconds: 30 }, restart: 'on-failure', port: 8080, urls: ['http://edit-two.test'] });
    expect(JSON.stringify(updated)).not.toContain(NEW_SECRET);
    // the value was replaced under the same keychain reference; the old value and KEEP are gone from the keychain
    expect(await app.services.secrets.get(tokenRef)).toBe(NEW_SECRET);
    const values = await keychainValues();
    expect(values.map((v) => v.value)).not.toContain(OLD_SECRET);
    expect(values.filter((v) => v.kind === 'app-env').map((v) => v.label).sort()).toEqual(['edited ADDED', 'edited TOKEN']);
    // never in SQLite (config, audit rows) — only references
    const db = sqliteText();
    for (const secret of [OLD_SECRET, NEW_SECRET, ADDED_SECRET]) expect(db).not.toContain(secret);
    expect(auditText()).toContain('apps.update');
    for (const secret of [NEW_SECRET, ADDED_SECRET]) expect(auditText()).not.toContain(secret);

    // nothing changes on the server until the next deploy
    expect(await inspect(first.deploy.container!, '{{range .Config.Env}}{{println .}}{{end}}')).toContain(`TOKEN=${OLD_SECRET}`);
    const { deploy, log } = await followDeploy(app.client, (await app.client.apps.deploy({ id: editedId })).id);
    expect(deploy.status, log).toBe('succeeded');
    expect(log).toContain('port 8080/health.html (up to 30 s)');
    const c = deploy.container!;
    expect(await inspect(c, '{{.HostConfig.Memory}} {{.HostConfig.NanoCpus}} {{.HostConfig.RestartPolicy.Name}}')).toBe(`${64 * 1024 * 1024} 500000000 on-failure`);
    const env = (await inspect(c, '{{range .Config.Env}}{{println .}}{{end}}')).split('\n');
    expect(env).toEqual(expect.arrayContaining([`TOKEN=${NEW_SECRET}`, `ADDED=${ADDED_SECRET}`]));
    expect(env.some((l) => l.startsWith('KEEP='))).toBe(false);
    expect(await getByHost(s.host, 'edit-two.test')).toEqual({ status: 200, body: 'v1\n' });
    expect((await getByHost(s.host, 'edit-one.test')).body).not.toBe('v1\n');
    // the env file the job wrote for docker run is gone with the builder; no value in the job's files on the server
    const jobFiles = await s.exec(['grep', '-rl', NEW_SECRET, `${DATA}/jobs`]);
    expect(jobFiles.stdout).toBe('');
  });

  it('deploys from an ssh:// git URL with a generated deploy key, pins the git host key, and fails clearly when it changes', async () => {
    // the repository on the second server, reached by the builder over SSH as a forge would be
    const tar = execFileSync('tar', ['-c', '-C', repo.base, 'sample.git']);
    await gitsrv.exec(['tar', '-x', '-C', '/root'], { input: tar, check: true });
    const url = `ssh://root@${gitsrv.host}/root/sample.git`;

    expect((await issuesOf(app.client.apps.create({ name: 'keyed', serverId, source: { kind: 'git', url, branch: 'main', deployKey: 'not a key' }, port: 8080 }))).map((i) => i.path)).toEqual(['source.deployKey']);
    const created = await app.client.apps.create({ name: 'keyed', serverId, source: { kind: 'git', url, branch: 'main' }, port: 8080, domains: [{ host: 'keyed.test', tls: false }] });
    sshAppId = created.id;
    expect(created.source).toMatchObject({ kind: 'git', hasDeployKey: false, deployKeyPublic: null });
    const pubOnly = gitsrv.users.root.publicKey;
    expect((await issuesOf(app.client.apps.update({ id: sshAppId, source: { kind: 'git', url, branch: 'main', deployKey: pubOnly } }))).find((i) => i.path === 'source.deployKey')?.message).toMatch(/public key/);

    // a builder without ssh: the job says so
    await setBuilder(noSshBuilder);
    let r = await followDeploy(app.client, (await app.client.apps.deploy({ id: sshAppId })).id);
    expect(r.deploy.status).toBe('failed');
    expect(r.deploy.error).toContain('the builder image has no ssh client');
    await setBuilder(images['docker:27-cli']!);

    // no key yet: the git server refuses the login (and its host key is pinned on this first use)
    r = await followDeploy(app.client, (await app.client.apps.deploy({ id: sshAppId })).id);
    expect(r.deploy.status).toBe('failed');
    expect(r.deploy.error).toContain('the git server refused the SSH login');
    const pinned = (await s.exec(['cat', `${DATA}/known_hosts`], { check: true })).stdout;
    expect(pinned).toContain(gitsrv.host);
    expect(pinned).toContain(gitsrv.hostPublicKeys.ed25519.split(' ')[1]!);

    // a generated key: private half in the keychain only, public half shown
    const keyed = await app.client.apps.generateDeployKey({ id: sshAppId });
    expect(keyed.source.kind === 'git' && keyed.source.hasDeployKey).toBe(true);
    const publicKey = keyed.source.kind === 'git' ? keyed.source.deployKeyPublic! : '';
    expect(publicKey).toMatch(/^ssh-ed25519 [A-Za-z0-9+/=]+ openpanel-deploy-keyed$/);
    const key = (await keychainValues()).find((v) => v.kind === 'deploy-key')!;
    expect(key.value).toContain('-----BEGIN OPENSSH PRIVATE KEY-----');
    expect(sqliteText()).not.toContain(key.value!.split('\n')[1]!);
    expect(JSON.stringify(await app.client.apps.list({ serverId }))).not.toContain('PRIVATE KEY');
    // the user adds it to the forge: here root's authorized_keys on the git server, limited to git (git-shell)
    appendFileSync(join(gitsrv.sshBase, 'auth', 'root'), `command="git-shell -c \\"$SSH_ORIGINAL_COMMAND\\"",no-port-forwarding,no-pty,no-agent-forwarding,no-X11-forwarding ${publicKey}\n`);

    r = await followDeploy(app.client, (await app.client.apps.deploy({ id: sshAppId })).id);
    expect(r.deploy.status, r.log).toBe('succeeded');
    expect(r.deploy.commit).toBe(repo.git(['rev-parse', 'HEAD']).trim());
    expect(await getByHost(s.host, 'keyed.test')).toEqual({ status: 200, body: 'v1\n' });
    // the key never stays on the server: not in the job's files
    expect((await s.exec(['grep', '-rl', 'PRIVATE KEY', `${DATA}/jobs`])).stdout).toBe('');

    // the git server's host key changes: the next deploy stops before fetching anything, and the app keeps serving
    await gitsrv.changeHostKey();
    r = await followDeploy(app.client, (await app.client.apps.deploy({ id: sshAppId })).id);
    expect(r.deploy.status).toBe('failed');
    expect(r.deploy.step).toBe('fetch');
    expect(r.deploy.error).toContain("the git server's host key differs from the one pinned on first use");
    expect(r.log).toContain('REMOTE HOST IDENTIFICATION HAS CHANGED');
    expect(await getByHost(s.host, 'keyed.test')).toEqual({ status: 200, body: 'v1\n' });
  });

  it('deploys a local folder uploaded as the build context, again at each deploy; dropping every domain removes its route', async () => {
    writeFileSync(join(folder, 'Dockerfile'), DOCKERFILE);
    writeFileSync(join(folder, 'index.html'), 'from a folder\n');
    expect((await issuesOf(app.client.apps.create({ name: 'folder', serverId, source: { kind: 'upload', path: 'relative/path' }, port: 8080 }))).map((i) => i.path)).toEqual(['source.path']);
    const created = await app.client.apps.create({ name: 'folder', serverId, source: { kind: 'upload', path: folder }, port: 8080, domains: [{ host: 'folder.test', tls: false }] });
    let r = await followDeploy(app.client, (await app.client.apps.deploy({ id: created.id })).id);
    expect(r.deploy.status, r.log).toBe('succeeded');
    expect(r.deploy.commit).toBe('upload');
    expect(await getByHost(s.host, 'folder.test')).toEqual({ status: 200, body: 'from a folder\n' });

    writeFileSync(join(folder, 'index.html'), 'changed locally\n');
    r = await followDeploy(app.client, (await app.client.apps.deploy({ id: created.id })).id);
    expect(r.deploy.status, r.log).toBe('succeeded');
    expect(await getByHost(s.host, 'folder.test')).toEqual({ status: 200, body: 'changed locally\n' });

    await app.client.apps.update({ id: created.id, domains: [] });
    r = await followDeploy(app.client, (await app.client.apps.deploy({ id: created.id })).id);
    expect(r.deploy.status, r.log).toBe('succeeded');
    expect((await getByHost(s.host, 'folder.test')).body).not.toBe('changed locally\n');
    if (DRIVER === 'caddy') {
      expect(r.log).toContain('the app has no domains now: removing its proxy site');
      expect(await s.fileExists(`${DATA}/proxy/caddy/sites/folder.caddy`)).toBe(false);
    }
    // a folder that is gone is named
    const missing = await rpcError(app.client.apps.update({ id: created.id, source: { kind: 'upload', path: join(folder, 'nope') } }).then(() => app.client.apps.deploy({ id: created.id })));
    expect(missing.message).toContain('source.path');
  });

  it('removes an app: containers, images, proxy route, job folders, keychain secrets (env, deploy key, webhook) and its history', async () => {
    // the ssh app also gets an env value and push-to-deploy (a webhook secret in the keychain)
    await app.client.apps.update({ id: sshAppId, env: { API_KEY: 'remove-me-value' } });
    await app.client.apps.webhook.enable({ id: sshAppId, host: 'hooks-appmod.test', tls: false });
    const refsBefore = (await keychainValues()).filter((v) => ['app-env', 'deploy-key', 'webhook-secret'].includes(v.kind));
    expect(refsBefore.map((v) => v.kind).sort()).toEqual(['app-env', 'app-env', 'app-env', 'deploy-key', 'webhook-secret']);
    const deployIds = (await app.client.apps.deploys({ id: sshAppId })).map((d) => d.id);
    expect(deployIds.length).toBe(4);
    const imagesOf = async (id: string) => (await s.exec(['docker', 'images', '-q', '--filter', `label=openpanel.app=${id}`], { check: true })).stdout.trim();
    expect(await imagesOf(sshAppId)).not.toBe('');

    expect(await app.client.apps.remove({ id: sshAppId })).toEqual({ removed: true });
    expect((await s.exec(['docker', 'ps', '-aq', '--filter', `label=openpanel.app=${sshAppId}`], { check: true })).stdout.trim()).toBe('');
    expect(await imagesOf(sshAppId)).toBe('');
    expect((await getByHost(s.host, 'keyed.test')).body).not.toBe('v1\n');
    if (DRIVER === 'caddy') expect(await s.fileExists(`${DATA}/proxy/caddy/sites/keyed.caddy`)).toBe(false);
    for (const id of deployIds) expect(await s.fileExists(`${DATA}/jobs/${id}`)).toBe(false);
    expect(await s.fileExists(`${DATA}/webhooks/apps/${sshAppId}.json`)).toBe(false);
    const after = await keychainValues();
    const left = after.filter((v) => refsBefore.some((b) => b.ref === v.ref));
    expect(left.map((v) => `${v.kind} ${v.label}`).sort()).toEqual(['app-env edited ADDED', 'app-env edited TOKEN']);
    for (const b of refsBefore.filter((x) => !left.some((l) => l.ref === x.ref))) expect(await app.services.secrets.get(b.ref)).toBeNull();
    expect(app.services.storage.sqlite.prepare('SELECT count(*) AS n FROM deploys WHERE app_id = ?').get(sshAppId)).toEqual({ n: 0 });
    expect((await rpcError(app.client.apps.get({ id: sshAppId }))).code).toBe('NOT_FOUND');
    // the other app still serves
    expect(await getByHost(s.host, 'edit-two.test')).toEqual({ status: 200, body: 'v1\n' });

    // removeImages: false keeps the built images (for a later app, or by hand)
    const keptImages = await imagesOf(editedId);
    await app.client.apps.remove({ id: editedId, removeImages: false });
    expect((await s.exec(['docker', 'ps', '-aq', '--filter', `label=openpanel.app=${editedId}`], { check: true })).stdout.trim()).toBe('');
    expect(await imagesOf(editedId)).toBe(keptImages);
    expect((await keychainValues()).filter((v) => v.kind === 'app-env')).toEqual([]);
  });
});
