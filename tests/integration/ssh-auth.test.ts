import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ssh2 from 'ssh2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KeychainSecretStore } from '../../src/main/services/secrets/keychain.ts';
import { Testbed, type TestServer } from '../testbed/index.ts';
import { rpcError, startTestApp, waitFor, type TestApp } from '../helpers/app.ts';
import { addServer, authFor, type UserKind } from '../helpers/servers.ts';

describe('SSH core: authentication, host keys, jump hosts, Docker transports (real sshd + dockerd)', () => {
  let bed: Testbed;
  let app: TestApp;
  let a: TestServer;
  let h: TestServer;
  let b1: TestServer;
  let b2: TestServer;
  let t: TestServer;
  let k: TestServer;

  beforeAll(async () => {
    bed = await Testbed.create();
    [a, h, b1, k] = (await bed.addServers([{ name: 'a' }, { name: 'h', hardened: true }, { name: 'b1' }, { name: 'k', kbdInteractive: true }])) as [TestServer, TestServer, TestServer, TestServer];
    b2 = await bed.addServer({ name: 'b2', behind: b1 });
    t = await bed.addServer({ name: 't', behind: b2 });
    app = await startTestApp();
  });
  afterAll(async () => {
    await app?.close();
    await bed?.teardown();
  });

  const modes: [UserKind, RegExp][] = [
    ['root', /stream-local/],
    ['enc', /stream-local/],
    ['pw', /stream-local/],
    ['docker', /stream-local/],
    ['sudo', /sudo -n docker system dial-stdio/],
  ];
  for (const [kind, transport] of modes) {
    it(`connects as the ${kind} user and reaches Docker (${transport.source})`, async () => {
      const server = await addServer(app.client, a, { kind });
      const result = await app.client.servers.test({ id: server.id });
      expect(result.steps.map((s) => [s.id, s.status])).toEqual([
        ['tcp', 'ok'],
        ['hostKey', 'ok'],
        ['auth', 'ok'],
        ['docker', 'ok'],
      ]);
      expect(result.steps[3]?.detail).toMatch(transport);
      const facts = await app.client.servers.facts({ id: server.id });
      expect(facts.hostname).toBe(a.name);
      expect(facts.dockerVersion).toMatch(/^\d+\./);
      expect(facts.memoryBytes).toBeGreaterThan(0);
    });
  }

  it('connects with keys from an ssh-agent', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'openpanel-agent-'));
    const sock = join(dir, 'agent.sock');
    const agent = spawn('ssh-agent', ['-D', '-a', sock], { stdio: 'ignore' });
    const saved = process.env.SSH_AUTH_SOCK;
    try {
      await waitFor(() => execFileSync('sh', ['-c', `test -S '${sock}' && echo yes`]).toString().includes('yes'), 'ssh-agent socket');
      execFileSync('ssh-add', [a.users.root.privateKeyPath], { env: { ...process.env, SSH_AUTH_SOCK: sock }, stdio: 'ignore' });
      process.env.SSH_AUTH_SOCK = sock;
      const server = await app.client.servers.create({ name: 'agent-auth', host: a.host, username: 'root', auth: { method: 'agent' } });
      await app.client.servers.trustHostKey({ id: server.id, keyType: 'ssh-ed25519', fingerprint: a.hostKeyFingerprint });
      const result = await app.client.servers.test({ id: server.id });
      expect(result.ok).toBe(true);
    } finally {
      process.env.SSH_AUTH_SOCK = saved;
      agent.kill();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('says clearly what is wrong with a password, a passphrase or a key', async () => {
    const { username } = authFor(a, 'pw');
    const wrongPw = await app.client.servers.create({ name: 'wrong-pw', host: a.host, username, auth: { method: 'password', password: 'not-the-password' } });
    await app.client.servers.trustHostKey({ id: wrongPw.id, keyType: 'ssh-ed25519', fingerprint: a.hostKeyFingerprint });
    const r1 = await app.client.servers.test({ id: wrongPw.id });
    expect(r1.steps.find((s) => s.id === 'auth')).toMatchObject({ status: 'error', errorCode: 'AUTH_FAILED', detail: expect.stringMatching(/Authentication failed for pwuser@/) });

    const badPassphrase = await rpcError(app.client.servers.create({ name: 'bad-pp', host: a.host, username: 'encuser', auth: { method: 'key', privateKey: a.users.enc.privateKey, passphrase: 'wrong passphrase' } }));
    expect(badPassphrase).toMatchObject({ code: 'INPUT_INVALID', message: expect.stringMatching(/auth\.passphrase: wrong passphrase/) });

    const noPassphrase = await app.client.servers.create({ name: 'no-pp', host: a.host, username: 'encuser', auth: { method: 'key', privateKey: a.users.enc.privateKey } });
    await app.client.servers.trustHostKey({ id: noPassphrase.id, keyType: 'ssh-ed25519', fingerprint: a.hostKeyFingerprint });
    const r2 = await app.client.servers.test({ id: noPassphrase.id });
    expect(r2.steps.find((s) => s.status === 'error')).toMatchObject({ errorCode: 'AUTH_FAILED', detail: expect.stringMatching(/passphrase/) });

    const stranger = ssh2.utils.generateKeyPairSync('ed25519').private; // a key the server has never seen
    const wrongKey = await app.client.servers.create({ name: 'wrong-key', host: a.host, username: 'root', auth: { method: 'key', privateKey: stranger } });
    await app.client.servers.trustHostKey({ id: wrongKey.id, keyType: 'ssh-ed25519', fingerprint: a.hostKeyFingerprint });
    expect((await app.client.servers.test({ id: wrongKey.id })).steps.find((s) => s.status === 'error')?.errorCode).toBe('AUTH_FAILED');

    const notAKey = await rpcError(app.client.servers.create({ name: 'not-key', host: a.host, username: 'root', auth: { method: 'key', privateKey: 'hello' } }));
    expect(notAKey).toMatchObject({ code: 'INPUT_INVALID', message: expect.stringMatching(/auth\.privateKey/) });
  });

  it('logs in by keyboard-interactive (PAM) with the password from the keychain where sshd refuses the password method', async () => {
    const password = k.users.pw.password;
    // The server really refuses the "password" method and asks through PAM instead.
    const refused = await rawAuth(k, ['password'], password);
    expect(refused.error).toMatch(/All configured authentication methods failed/);
    const raw = await rawAuth(k, ['keyboard-interactive'], password);
    expect(raw).toEqual({ error: null, prompts: [['Password: ']] });

    const server = await addServer(app.client, k, { kind: 'pw', name: 'kbd-int' });
    const ref = app.services.storage.sqlite.prepare('SELECT secret_ref FROM servers WHERE id = ?').pluck().get(server.id) as string;
    expect(await new KeychainSecretStore().get(ref)).toBe(password);
    const result = await app.client.servers.test({ id: server.id });
    expect(result.steps.map((s) => [s.id, s.status])).toEqual([
      ['tcp', 'ok'],
      ['hostKey', 'ok'],
      ['auth', 'ok'],
      ['docker', 'ok'],
    ]);
    const conn = await app.services.pool.acquire(server.id);
    const out = await conn.exec(['sh', '-c', 'id -un; hostname']);
    expect(out.stdout.trim().split('\n')).toEqual(['pwuser', 'k']);
    expect((await app.client.servers.facts({ id: server.id })).hostname).toBe('k');
    expect(readFileSync(k.sshdLog, 'utf8')).toMatch(/Accepted keyboard-interactive\/pam for pwuser/);

    // A wrong password: PAM says no, and the app gives its usual clear authentication error.
    const wrong = `wrong-${Math.random().toString(36).slice(2)}`;
    const bad = await app.client.servers.create({ name: 'kbd-int-wrong', host: k.host, username: 'pwuser', auth: { method: 'password', password: wrong } });
    await app.client.servers.trustHostKey({ id: bad.id, keyType: 'ssh-ed25519', fingerprint: k.hostKeyFingerprint });
    const r = await app.client.servers.test({ id: bad.id });
    expect(r.ok).toBe(false);
    expect(r.steps.find((s) => s.id === 'auth')).toMatchObject({
      status: 'error',
      errorCode: 'AUTH_FAILED',
      detail: expect.stringMatching(/Authentication failed for pwuser@10\.231\.\d+\.\d+:22: the server accepted none of the offered credentials/),
    });
    await waitFor(() => /PAM: Authentication failure for pwuser/.test(readFileSync(k.sshdLog, 'utf8')), 'PAM failure in the sshd log');
    expect(app.services.pool.state(bad.id)).toMatchObject({ state: 'failed', retryAt: null });

    // Neither answer reaches SQLite (file and WAL), the audit log or any other file in the data dir.
    const audit = JSON.stringify(await app.client.activity.list({ limit: 200 }));
    expect(audit).toContain('kbd-int-wrong');
    app.services.storage.sqlite.pragma('wal_checkpoint(FULL)');
    const bytes = dataDirBytes(app.dataDir);
    expect(bytes).toContain(ref);
    for (const secret of [password, wrong]) {
      expect(audit).not.toContain(secret);
      expect(bytes).not.toContain(secret);
    }
  });

  it('trusts a first-use host key only when the user accepts the fingerprint, and refuses a changed key', async () => {
    const server = await app.client.servers.create({ name: 'tofu', host: h.host, username: 'root', auth: { method: 'key', privateKey: h.users.root.privateKey } });
    // Nobody is there to ask: refused, with the fingerprint to compare.
    const unknown = await app.client.servers.test({ id: server.id });
    expect(unknown.steps.find((s) => s.id === 'hostKey')).toMatchObject({ status: 'error', errorCode: 'HOST_KEY_UNKNOWN', data: expect.objectContaining({ fingerprint: h.hostKeyFingerprint }) });

    // The UI listens for prompts and answers with the fingerprint it showed.
    const ac = new AbortController();
    const prompts = await app.client.servers.hostKeyPrompts(undefined, { signal: ac.signal });
    const answered = (async () => {
      for await (const p of prompts) {
        expect(p.fingerprint).toBe(h.hostKeyFingerprint);
        await expect(app.client.servers.answerHostKey({ promptId: p.id, accept: true, fingerprint: 'SHA256:forged' })).rejects.toMatchObject({ code: 'INPUT_INVALID' });
        return app.client.servers.answerHostKey({ promptId: p.id, accept: true, fingerprint: p.fingerprint });
      }
    })();
    await waitFor(() => app.services.hostKeys.promptListeners === 1, 'prompt listener');
    const ok = await app.client.servers.test({ id: server.id });
    expect(await answered).toEqual({ ok: true });
    ac.abort();
    expect(ok.ok).toBe(true);
    expect((await app.client.servers.get({ id: server.id })).hostKeys).toEqual([expect.objectContaining({ fingerprint: h.hostKeyFingerprint, source: 'tofu' })]);

    // The key changes: refused with both fingerprints, every time, and no background reconnect succeeds.
    const old = h.hostKeyFingerprint;
    await h.changeHostKey();
    expect(h.hostKeyFingerprint).not.toBe(old);
    for (let i = 0; i < 3; i++) {
      const r = await app.client.servers.test({ id: server.id });
      expect(r.steps.find((s) => s.id === 'hostKey')).toMatchObject({ status: 'error', errorCode: 'HOST_KEY_CHANGED', data: expect.objectContaining({ expected: old, actual: h.hostKeyFingerprint }) });
    }
    expect(app.services.pool.state(server.id)).toMatchObject({ state: 'failed', retryAt: null });
    expect((await app.client.servers.get({ id: server.id })).hostKeys[0]?.fingerprint).toBe(old);
    // Only an explicit replace trusts the new key.
    await expect(app.client.servers.trustHostKey({ id: server.id, keyType: 'ssh-ed25519', fingerprint: h.hostKeyFingerprint })).rejects.toMatchObject({ code: 'CONFLICT' });
    await app.client.servers.trustHostKey({ id: server.id, keyType: 'ssh-ed25519', fingerprint: h.hostKeyFingerprint, replace: true });
    expect((await app.client.servers.test({ id: server.id })).ok).toBe(true);
  });

  it('connects through a ProxyJump chain of two bastions, sharing and counting the jump connections', async () => {
    const j1 = await addServer(app.client, b1, { name: 'bastion-1' });
    const j2 = await addServer(app.client, b2, { name: 'bastion-2', jumpServerId: j1.id });
    const target = await addServer(app.client, t, { name: 'behind-two', jumpServerId: j2.id });
    const direct = await rpcError(
      (async () => {
        const r = await app.client.servers.test({ id: (await addServer(app.client, t, { name: 'no-jump' })).id });
        if (!r.ok) throw Object.assign(new Error(r.steps.find((s) => s.status === 'error')?.detail ?? ''), { code: r.steps.find((s) => s.status === 'error')?.errorCode });
      })(),
    );
    expect(direct.code).toMatch(/CONNECT_FAILED|TIMEOUT/);
    const result = await app.client.servers.test({ id: target.id });
    expect(result.ok).toBe(true);
    expect((await app.client.servers.facts({ id: target.id })).hostname).toBe('t');
    expect(app.services.pool.refCount(j1.id)).toBe(1);
    expect(app.services.pool.refCount(j2.id)).toBe(1);
    const containers = await app.client.servers.containers({ id: target.id });
    expect(Array.isArray(containers)).toBe(true);
  });

  it('works on a hardened server (MaxSessions 2, no stream-local forwarding) through dial-stdio and a session queue', async () => {
    const server = await addServer(app.client, h, { name: 'hardened' });
    // h's key was replaced in the TOFU test: pin the current one.
    await app.client.servers.trustHostKey({ id: server.id, keyType: 'ssh-ed25519', fingerprint: h.hostKeyFingerprint, replace: true });
    const result = await app.client.servers.test({ id: server.id });
    expect(result.steps[3]).toMatchObject({ status: 'ok', detail: expect.stringMatching(/docker system dial-stdio/) });
    const conn = await app.services.pool.acquire(server.id);
    const outs = await Promise.all(Array.from({ length: 8 }, (_, i) => conn.exec(['sh', '-c', 'sleep 0.3; echo "$0"', String(i)])));
    expect(outs.map((o) => o.stdout.trim())).toEqual(['0', '1', '2', '3', '4', '5', '6', '7']);
    expect(conn.limiter.capacity).toBeLessThanOrEqual(2);
    const [containers, facts] = await Promise.all([app.client.servers.containers({ id: server.id }), app.client.servers.facts({ id: server.id })]);
    expect(Array.isArray(containers)).toBe(true);
    expect(facts.dockerTransport).toMatch(/dial-stdio/);
  });
});

/** One raw ssh2 login with only the given methods: the error (null when it got in) and the keyboard-interactive prompts. */
async function rawAuth(s: TestServer, methods: ('password' | 'keyboard-interactive')[], password: string): Promise<{ error: string | null; prompts: string[][] }> {
  const prompts: string[][] = [];
  const c = new ssh2.Client();
  c.on('keyboard-interactive', (_n, _i, _l, ps, finish) => {
    prompts.push(ps.map((p) => p.prompt));
    finish(ps.map(() => password));
  });
  const error = await new Promise<string | null>((resolve) => {
    c.once('ready', () => resolve(null));
    c.once('error', (e) => resolve(e.message));
    c.connect({ host: s.host, port: s.port, username: s.users.pw.username, password, tryKeyboard: true, authHandler: methods, readyTimeout: 10_000, hostVerifier: () => true });
  });
  c.end();
  return { error, prompts };
}

/** Every byte of every file under the data dir (SQLite, its WAL, logs, anything else written there). */
function dataDirBytes(dir: string): string {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .map((f) => join(dir, f))
    .filter((f) => statSync(f).isFile())
    .map((f) => readFileSync(f).toString('latin1'))
    .join('\n');
}
