import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rpcError, startTestApp, type TestApp } from '../helpers/app.ts';

// Two app instances (own data dirs; the second on the vault): a passphrase-sealed profile carries the backup
// targets' keys, and the import installs one only where the user chose it, after both recipients were shown.
describe('server profiles carry the backup keys (sealed, authenticated)', () => {
  let a: TestApp;
  let b: TestApp;
  const target = { name: 'offsite', endpoint: 'http://127.0.0.1:9', region: 'us-east-1', bucket: 'backups', prefix: 'prod', pathStyle: true, accessKeyId: 'AK', secretAccessKey: 'SK' };
  const passphrase = 'profile passphrase 99';

  beforeAll(async () => {
    a = await startTestApp();
    b = await startTestApp({ secretBackend: 'vault' });
    await b.client.secrets.createVault({ passphrase: 'vault of the second computer' });
  }, 60_000);
  afterAll(async () => {
    await b?.close();
    await a?.close();
  });

  it('exports the keys only under a passphrase; the import shows both recipients and replaces only when asked', async () => {
    // A server record only: the profile needs one; nothing connects to it.
    const server = await a.client.servers.create({ name: 'web', host: '127.0.0.1', port: 2222, username: 'deploy', auth: { method: 'password', password: 'pw' } });
    const mine = await a.client.backups.createTarget(target);
    const { identity } = await a.client.backups.revealKey({ id: mine.id });
    const plain = await a.client.profiles.export({ serverIds: [server.id] });
    expect(plain.backupKeys).toBe(0);
    expect(plain.content).not.toContain('AGE-SECRET-KEY');
    const sealed = await a.client.profiles.export({ serverIds: [server.id], passphrase });
    expect(sealed.backupKeys).toBe(1);
    expect(sealed.content).not.toContain('AGE-SECRET-KEY');
    expect(JSON.parse(sealed.content)).toHaveProperty('backupKeys.data');

    // No target here yet: the key is listed, nothing can take it.
    const none = await b.client.profiles.previewBackupKeys({ content: sealed.content, passphrase });
    expect(none).toEqual([expect.objectContaining({ index: 0, recipient: mine.recipient, match: null })]);
    const theirs = await b.client.backups.createTarget(target);
    const [k] = await b.client.profiles.previewBackupKeys({ content: sealed.content, passphrase });
    expect(k).toMatchObject({ recipient: mine.recipient, match: { targetId: theirs.id, current: theirs.recipient }, same: false });

    // Without the echo of the current recipient nothing is imported (not even the server).
    const refused = await rpcError(b.client.profiles.import({ content: sealed.content, passphrase, installBackupKeys: [{ index: 0 }] }));
    expect(refused).toMatchObject({ code: 'CONFLICT', message: expect.stringMatching(/^installBackupKeys\.0\.replace: /) });
    expect(refused.message).toContain(theirs.recipient);
    expect(refused.message).toContain(mine.recipient);
    expect(await b.client.servers.list()).toHaveLength(0);
    // Imported without choosing the key: the target keeps its own.
    const skipped = await b.client.profiles.import({ content: sealed.content, passphrase });
    expect(skipped.backupKeysInstalled).toEqual([]);
    expect((await b.client.backups.keyInfo({ id: theirs.id })).recipient).toBe(theirs.recipient);
    const chosen = await b.client.profiles.import({ content: sealed.content, passphrase, installBackupKeys: [{ index: 0, replace: theirs.recipient }] });
    expect(chosen.backupKeysInstalled).toEqual(['offsite']);
    expect((await b.client.backups.keyInfo({ id: theirs.id })).recipient).toBe(mine.recipient);
    expect((await b.client.backups.revealKey({ id: theirs.id })).identity.split('\n')[0]).toBe(identity);
  }, 120_000);

  it('a profile whose sealed keys were altered is refused as tampered', async () => {
    const server = (await a.client.servers.list())[0]!;
    const file = JSON.parse((await a.client.profiles.export({ serverIds: [server.id], passphrase })).content) as { backupKeys: { data: string } };
    const data = Buffer.from(file.backupKeys.data, 'base64');
    data[0]! ^= 1;
    file.backupKeys.data = data.toString('base64');
    const err = await rpcError(b.client.profiles.previewBackupKeys({ content: JSON.stringify(file), passphrase }));
    expect(err).toMatchObject({ code: 'PROFILE_INVALID' });
  }, 60_000);
});
