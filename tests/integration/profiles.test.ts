import { createCipheriv, randomBytes, scryptSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Testbed, type TestServer } from '../testbed/index.ts';
import { rpcError, startTestApp, type TestApp } from '../helpers/app.ts';
import { addServer } from '../helpers/servers.ts';

/** A profile in the version-1 format, built here with node:crypto as the old exporter did (credentials sealed, records not). */
function legacyV1Profile(servers: unknown[], secrets: Record<string, unknown> | null, passphrase = ''): string {
  const body = { format: 'openpanel-profile', version: 1, exportedAt: '2026-01-01T00:00:00.000Z', servers };
  if (!secrets) return JSON.stringify({ ...body, secrets: null });
  const kdf = { N: 1 << 15, r: 8, p: 1 };
  const salt = randomBytes(16);
  const key = scryptSync(passphrase, salt, 32, { ...kdf, maxmem: 64 * 1024 * 1024 });
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const data = Buffer.concat([cipher.update(JSON.stringify(secrets), 'utf8'), cipher.final()]);
  const sealed = { kdf: { name: 'scrypt', ...kdf, salt: salt.toString('base64') }, cipher: 'aes-256-gcm', iv: iv.toString('base64'), tag: cipher.getAuthTag().toString('base64'), data: data.toString('base64') };
  return JSON.stringify({ ...body, secrets: sealed });
}

function record(s: TestServer, over: Record<string, unknown> = {}) {
  return { ref: `ref-${s.name}`, name: s.name, host: s.host, port: s.port, username: s.users.pw.username, auth: { method: 'password' }, jumpRef: null, settings: {}, hostKeys: [{ keyType: 'ssh-ed25519', fingerprint: s.hostKeyFingerprint }], ...over };
}

type Rec = { ref: string; name: string; host: string; port: number; username: string; hostKeys: { keyType: string; fingerprint: string }[] };
type FileJson = { version: number; exportedAt: string; servers: Rec[]; secrets: { tag: string } | null; mac?: string | null };

const edit = (content: string, change: (f: FileJson) => void): string => {
  const f = JSON.parse(content) as FileJson;
  change(f);
  return JSON.stringify(f, null, 2);
};

describe('server profiles: export → import on a fresh data dir (real keychain, real servers)', () => {
  let bed: Testbed;
  let source: TestApp;
  let a: TestServer;
  let b: TestServer;
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    bed = await Testbed.create({ prefix: 'prof' });
    [a, b] = (await bed.addServers([{ name: 'pa' }, { name: 'pb' }])) as [TestServer, TestServer];
    source = await startTestApp();
    ids.jump = (await addServer(source.client, a, { name: 'jump', kind: 'root' })).id;
    ids.pw = (await addServer(source.client, a, { name: 'pw-login', kind: 'pw' })).id;
    ids.behind = (await addServer(source.client, b, { name: 'behind', kind: 'root', jumpServerId: ids.jump })).id;
  });
  afterAll(async () => {
    await source?.close();
    await bed?.teardown();
  });

  it('without a passphrase: no secret in the file; structure and jump chain survive; host keys are pinned only when confirmed', async () => {
    const out = await source.client.profiles.export({ serverIds: [ids.behind!, ids.pw!] });
    expect(out.servers).toBe(3); // the jump host comes along
    expect(out.includesSecrets).toBe(false);
    expect(out.content).not.toContain('PRIVATE KEY');
    expect(out.content).not.toContain(a.users.pw.password);
    expect(out.content).not.toContain(a.users.root.privateKey.split('\n')[1]!);

    const fresh = await startTestApp();
    try {
      // Nothing authenticates this file: importing without confirmations pins nothing.
      const result = await fresh.client.profiles.import({ content: out.content });
      expect(result.created.sort()).toEqual(['behind', 'jump', 'pw-login']);
      let list = await fresh.client.servers.list();
      expect(list.map((s) => [s.name, s.hostKeys])).toEqual(expect.arrayContaining([['jump', []], ['behind', []], ['pw-login', []]]));
      expect(result.unconfirmedHostKeys).toEqual([
        { name: 'jump', host: a.host, port: a.port, keyType: 'ssh-ed25519', fingerprint: a.hostKeyFingerprint },
        { name: 'behind', host: b.host, port: b.port, keyType: 'ssh-ed25519', fingerprint: b.hostKeyFingerprint },
        { name: 'pw-login', host: a.host, port: a.port, keyType: 'ssh-ed25519', fingerprint: a.hostKeyFingerprint },
      ]);
      const behind = list.find((s) => s.name === 'behind')!;
      expect(list.find((s) => s.id === behind.jumpServerId)?.name).toBe('jump');

      // The preview shows each key with its fingerprint for the user to compare.
      await fresh.client.servers.remove({ id: behind.id });
      const plan = await fresh.client.profiles.preview({ content: out.content });
      const item = plan.find((p) => p.name === 'behind')!;
      expect(item).toMatchObject({ defaultAction: 'create', hasSecrets: false, authenticated: false, hostKeysToConfirm: [{ keyType: 'ssh-ed25519', fingerprint: b.hostKeyFingerprint }] });
      // A confirmation must echo the fingerprint shown; a different one is refused and nothing is imported.
      const wrong = await rpcError(fresh.client.profiles.import({ content: out.content, confirmHostKeys: [{ ref: item.ref, keyType: 'ssh-ed25519', fingerprint: a.hostKeyFingerprint }] }));
      expect(wrong).toMatchObject({ code: 'INPUT_INVALID', message: expect.stringMatching(/^confirmHostKeys\.0\.fingerprint: does not match/) });
      expect((await fresh.client.servers.list()).map((s) => s.name).sort()).toEqual(['jump', 'pw-login']);
      const confirmed = await fresh.client.profiles.import({ content: out.content, confirmHostKeys: [{ ref: item.ref, keyType: 'ssh-ed25519', fingerprint: b.hostKeyFingerprint }] });
      expect(confirmed.created).toEqual(['behind']);
      list = await fresh.client.servers.list();
      expect(list.find((s) => s.name === 'behind')!.hostKeys).toEqual([expect.objectContaining({ fingerprint: b.hostKeyFingerprint, source: 'profile' })]);
      expect(list.find((s) => s.name === 'jump')!.hostKeys).toEqual([]);
      // The credentials were not exported: connecting says which one is missing.
      await fresh.client.servers.trustHostKey({ id: list.find((s) => s.name === 'pw-login')!.id, keyType: 'ssh-ed25519', fingerprint: a.hostKeyFingerprint, replace: false });
      const test = await fresh.client.servers.test({ id: list.find((s) => s.name === 'pw-login')!.id });
      expect(test.steps.find((s) => s.status === 'error')?.detail).toMatch(/password/);
    } finally {
      await fresh.close();
    }
  });

  it('with a passphrase: credentials travel sealed, a wrong passphrase is refused, and the imported servers connect', async () => {
    const out = await source.client.profiles.export({ serverIds: [ids.behind!, ids.pw!], passphrase: 'profile passphrase 1' });
    expect(out.includesSecrets).toBe(true);
    expect(out.content).not.toContain(a.users.pw.password);
    expect(JSON.parse(out.content).secrets).toMatchObject({ cipher: 'aes-256-gcm', kdf: { name: 'scrypt' } });

    const fresh = await startTestApp();
    try {
      expect(await rpcError(fresh.client.profiles.preview({ content: out.content }))).toMatchObject({ code: 'INPUT_INVALID', message: expect.stringMatching(/passphrase/) });
      expect(await rpcError(fresh.client.profiles.import({ content: out.content, passphrase: 'wrong passphrase' }))).toMatchObject({ code: 'VAULT_WRONG_PASSPHRASE' });
      expect(await fresh.client.servers.list()).toEqual([]);
      // Re-indented, keys reordered: the same content, still authentic.
      const reordered = JSON.stringify(Object.fromEntries(Object.entries(JSON.parse(out.content)).reverse()));
      const sealedPlan = await fresh.client.profiles.preview({ content: reordered, passphrase: 'profile passphrase 1' });
      expect(sealedPlan.every((p) => p.authenticated && p.hostKeysToConfirm.length === 0)).toBe(true);
      // Authenticated pins are trusted as exported: the servers connect with no prompt listener.
      const imported = await fresh.client.profiles.import({ content: reordered, passphrase: 'profile passphrase 1' });
      expect(imported.unconfirmedHostKeys).toEqual([]);
      for (const s of await fresh.client.servers.list()) {
        const r = await fresh.client.servers.test({ id: s.id });
        expect(r.ok, `${s.name}: ${JSON.stringify(r.steps)}`).toBe(true);
      }
      // Importing again never overwrites silently; an explicit overwrite does.
      const plan = await fresh.client.profiles.preview({ content: out.content, passphrase: 'profile passphrase 1' });
      expect(plan.every((p) => p.defaultAction === 'skip' && p.existingId)).toBe(true);
      const again = await fresh.client.profiles.import({ content: out.content, passphrase: 'profile passphrase 1' });
      expect(again.skipped.length).toBe(3);
      const over = await fresh.client.profiles.import({ content: out.content, passphrase: 'profile passphrase 1', actions: { 'pw-login': 'overwrite' } });
      expect(over.updated).toEqual(['pw-login']);
      // The audit log never holds the file or the passphrase.
      const audit = JSON.stringify(await fresh.client.activity.list({ limit: 50 }));
      expect(audit).not.toContain('profile passphrase 1');
      expect(audit).not.toContain('openpanel-profile');
    } finally {
      await fresh.close();
    }
  });

  it('keeps a local host-key pin that differs from the profile, and reports it', async () => {
    const out = await source.client.profiles.export({ serverIds: [ids.jump!] });
    const tampered = out.content.replace(a.hostKeyFingerprint, 'SHA256:' + 'A'.repeat(43));
    const fresh = await startTestApp();
    try {
      await addServer(fresh.client, a, { name: 'local-a' }); // pins a's real key
      const plan = await fresh.client.profiles.preview({ content: tampered });
      expect(plan[0]?.hostKeyConflict).toMatch(/pinned to/);
      const r = await fresh.client.profiles.import({ content: tampered });
      expect(r.hostKeyConflicts).toEqual(['jump']);
      const jump = (await fresh.client.servers.list()).find((s) => s.name === 'jump')!;
      expect(jump.hostKeys[0]?.fingerprint).toBe(a.hostKeyFingerprint);
      expect(await rpcError(fresh.client.profiles.preview({ content: '{"format":"something-else"}' }))).toMatchObject({ code: 'PROFILE_INVALID' });
    } finally {
      await fresh.close();
    }
  });

  it('refuses a sealed profile whose records were changed in any way, and imports nothing', async () => {
    const pass = 'profile passphrase 2';
    const out = await source.client.profiles.export({ serverIds: [ids.behind!, ids.pw!], passphrase: pass });
    const pw = (f: FileJson) => f.servers.find((s) => s.name === 'pw-login')!;
    // The attack: point the password login at another server and pin that server's key, so no prompt warns.
    const tampered: Record<string, string> = {
      host: edit(out.content, (f) => Object.assign(pw(f), { host: b.host, hostKeys: [{ keyType: 'ssh-ed25519', fingerprint: b.hostKeyFingerprint }] })),
      port: edit(out.content, (f) => (pw(f).port = 2222)),
      pins: edit(out.content, (f) => (pw(f).hostKeys[0]!.fingerprint = b.hostKeyFingerprint)),
      'record added': edit(out.content, (f) => f.servers.push({ ...pw(f), ref: 'added', name: 'added' })),
      'record removed': edit(out.content, (f) => f.servers.splice(f.servers.indexOf(pw(f)), 1)),
      user: edit(out.content, (f) => (pw(f).username = 'root')),
      exportedAt: edit(out.content, (f) => (f.exportedAt = '2020-01-01T00:00:00.000Z')),
    };
    const fresh = await startTestApp();
    try {
      for (const [what, content] of Object.entries(tampered)) {
        for (const call of [() => fresh.client.profiles.preview({ content, passphrase: pass }), () => fresh.client.profiles.import({ content, passphrase: pass })]) {
          expect(await rpcError(call()), what).toMatchObject({ code: 'PROFILE_INVALID', message: expect.stringMatching(/changed after it was exported/) });
        }
      }
      // Relabelled as version 1 (whose records were never authenticated): refused, not downgraded.
      const downgraded = edit(tampered.host!, (f) => {
        f.version = 1;
        delete f.mac;
      });
      expect(await rpcError(fresh.client.profiles.import({ content: downgraded, passphrase: pass }))).toMatchObject({ code: 'PROFILE_INVALID', message: expect.stringMatching(/^version: this profile was exported as version 2/) });
      // A seal whose tag was cut short is refused for the tag, before anything else.
      const short = edit(out.content, (f) => (f.secrets!.tag = Buffer.from(f.secrets!.tag, 'base64').subarray(0, 12).toString('base64')));
      expect(await rpcError(fresh.client.profiles.import({ content: short, passphrase: pass }))).toMatchObject({ code: 'PROFILE_INVALID', message: expect.stringMatching(/^tag: expected a 16-byte/) });
      // Stripping the seal leaves an unauthenticated file: a passphrase is refused, and without one no pin is trusted.
      const stripped = edit(tampered.host!, (f) => {
        f.secrets = null;
        f.mac = null;
      });
      expect(await rpcError(fresh.client.profiles.preview({ content: stripped, passphrase: pass }))).toMatchObject({ code: 'INPUT_INVALID', message: expect.stringMatching(/^passphrase: this profile holds no sealed credentials/) });
      expect(await fresh.client.servers.list()).toEqual([]);
      const r = await fresh.client.profiles.import({ content: stripped });
      expect(r.unconfirmedHostKeys.map((k) => k.name).sort()).toEqual(['behind', 'jump', 'pw-login']);
      expect((await fresh.client.servers.list()).flatMap((s) => s.hostKeys)).toEqual([]);
      // Positive control: the untouched file opens with the same passphrase.
      expect((await fresh.client.profiles.preview({ content: out.content, passphrase: pass })).every((p) => p.authenticated)).toBe(true);
    } finally {
      await fresh.close();
    }
  });

  it('still imports version-1 profiles, but their host keys are pinned only once confirmed', async () => {
    const v1 = legacyV1Profile([record(b)], { [`ref-${b.name}`]: { password: b.users.pw.password } }, 'legacy passphrase');
    const fresh = await startTestApp();
    try {
      const r = await fresh.client.profiles.import({ content: v1, passphrase: 'legacy passphrase' });
      const [server] = await fresh.client.servers.list();
      expect(server!.hostKeys).toEqual([]);
      expect(r.unconfirmedHostKeys).toEqual([{ name: b.name, host: b.host, port: b.port, keyType: 'ssh-ed25519', fingerprint: b.hostKeyFingerprint }]);
      // Without a pin the connection stops at the unknown key (no prompt listener here): the password was not sent.
      const blocked = await fresh.client.servers.test({ id: server!.id });
      expect(blocked.ok).toBe(false);
      expect(JSON.stringify(blocked.steps)).toMatch(/not trusted yet/);
      const plan = await fresh.client.profiles.preview({ content: v1, passphrase: 'legacy passphrase' });
      expect(plan).toEqual([expect.objectContaining({ name: b.name, hasSecrets: true, authenticated: false, hostKeysToConfirm: [{ keyType: 'ssh-ed25519', fingerprint: b.hostKeyFingerprint }] })]);
      // Confirmed (overwrite, echoing the fingerprint): pinned, and the sealed password logs in.
      const again = await fresh.client.profiles.import({ content: v1, passphrase: 'legacy passphrase', actions: { [`ref-${b.name}`]: 'overwrite' }, confirmHostKeys: [{ ref: `ref-${b.name}`, keyType: 'ssh-ed25519', fingerprint: b.hostKeyFingerprint }] });
      expect(again).toMatchObject({ updated: [b.name], unconfirmedHostKeys: [] });
      const ok = await fresh.client.servers.test({ id: server!.id });
      expect(ok.ok, JSON.stringify(ok.steps)).toBe(true);
    } finally {
      await fresh.close();
    }
  });

  it('refuses a version-1 seal whose GCM tag was cut short (a shorter tag is forgeable), and imports nothing', async () => {
    const v1 = legacyV1Profile([record(b)], { [`ref-${b.name}`]: { password: b.users.pw.password } }, 'legacy passphrase');
    const fresh = await startTestApp();
    try {
      for (const bytes of [4, 12]) {
        const short = edit(v1, (f) => (f.secrets!.tag = Buffer.from(f.secrets!.tag, 'base64').subarray(0, bytes).toString('base64')));
        expect(await rpcError(fresh.client.profiles.import({ content: short, passphrase: 'legacy passphrase' }))).toMatchObject({ code: 'PROFILE_INVALID', message: expect.stringMatching(/^tag: expected a 16-byte/) });
      }
      expect(await fresh.client.servers.list()).toEqual([]);
      expect((await fresh.client.profiles.preview({ content: v1, passphrase: 'legacy passphrase' }))[0]?.hasSecrets).toBe(true); // positive control
    } finally {
      await fresh.close();
    }
  });

  it('refs named __proto__ or constructor: the preview claims only the secrets that exist, and actions are not inherited', async () => {
    const servers = [record(a, { ref: '__proto__', name: 'proto-a' }), record(b, { ref: 'constructor', name: 'ctor-b' })];
    const fresh = await startTestApp();
    try {
      const plain = legacyV1Profile(servers, null);
      const plan = await fresh.client.profiles.preview({ content: plain });
      expect(plan.map((p) => [p.ref, p.hasSecrets])).toEqual([['__proto__', false], ['constructor', false]]);
      // Sealed credentials for one of them only.
      const sealed = legacyV1Profile(servers, JSON.parse('{"constructor":{"password":"p1"}}'), 'proto passphrase');
      const sealedPlan = await fresh.client.profiles.preview({ content: sealed, passphrase: 'proto passphrase' });
      expect(sealedPlan.map((p) => [p.ref, p.hasSecrets])).toEqual([['__proto__', false], ['constructor', true]]);
      expect((await fresh.client.profiles.import({ content: plain })).created).toEqual(['proto-a', 'ctor-b']);
      // Existing now: without an explicit action both are skipped, never re-created or overwritten.
      expect(await fresh.client.profiles.import({ content: plain })).toMatchObject({ created: [], updated: [], skipped: ['proto-a', 'ctor-b'] });
    } finally {
      await fresh.close();
    }
  });
});
