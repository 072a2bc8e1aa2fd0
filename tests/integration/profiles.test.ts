import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Testbed, type TestServer } from '../testbed/index.ts';
import { rpcError, startTestApp, type TestApp } from '../helpers/app.ts';
import { addServer } from '../helpers/servers.ts';

describe('server profiles: export → import on a fresh data dir (real keychain, real servers)', () => {
  let bed: Testbed;
  let source: TestApp;
  let a: TestServer;
  let b: TestServer;
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    bed = await Testbed.create();
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

  it('without a passphrase: no secret in the file; structure, jump chain and pins survive', async () => {
    const out = await source.client.profiles.export({ serverIds: [ids.behind!, ids.pw!] });
    expect(out.servers).toBe(3); // the jump host comes along
    expect(out.includesSecrets).toBe(false);
    expect(out.content).not.toContain('PRIVATE KEY');
    expect(out.content).not.toContain(a.users.pw.password);
    expect(out.content).not.toContain(a.users.root.privateKey.split('\n')[1]!);

    const fresh = await startTestApp();
    try {
      const plan = await fresh.client.profiles.preview({ content: out.content });
      expect(plan.map((p) => [p.name, p.defaultAction, p.hasSecrets])).toEqual([
        ['jump', 'create', false],
        ['behind', 'create', false],
        ['pw-login', 'create', false],
      ]);
      const result = await fresh.client.profiles.import({ content: out.content });
      expect(result.created.sort()).toEqual(['behind', 'jump', 'pw-login']);
      const list = await fresh.client.servers.list();
      const behind = list.find((s) => s.name === 'behind')!;
      expect(list.find((s) => s.id === behind.jumpServerId)?.name).toBe('jump');
      expect(behind.hostKeys).toEqual([expect.objectContaining({ fingerprint: b.hostKeyFingerprint, source: 'profile' })]);
      // The credentials were not exported: connecting says which one is missing.
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
      await fresh.client.profiles.import({ content: out.content, passphrase: 'profile passphrase 1' });
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
});
