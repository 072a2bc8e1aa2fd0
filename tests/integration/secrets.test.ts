import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KeychainSecretStore } from '../../src/main/services/secrets/keychain.ts';
import { VaultSecretStore } from '../../src/main/services/secrets/vault.ts';
import { rpcError, startTestApp, type TestApp } from '../helpers/app.ts';
import { startWebProcess } from '../helpers/web-process.ts';
import { secretsAtRest } from '../helpers/at-rest.ts';

/** A fresh ed25519 key in OpenSSH format, encrypted with `passphrase` when given. */
function sshKey(passphrase = ''): string {
  const dir = mkdtempSync(join(tmpdir(), 'openpanel-key-'));
  try {
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', passphrase, '-C', '', '-f', join(dir, 'k')]);
    return readFileSync(join(dir, 'k'), 'utf8');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Every byte of the data dir: the SQLite file, its WAL and anything else written there. */
function dataDirBytes(dir: string): string {
  return readdirSync(dir)
    .map((f) => readFileSync(join(dir, f)).toString('latin1'))
    .join('\n');
}

describe('secrets in the real Secret Service (gnome-keyring)', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(async () => {
    await app?.close();
  });

  it('uses the OS keychain when one is available', async () => {
    const status = await app.client.secrets.status();
    expect(status).toMatchObject({ backend: 'keychain', unlocked: true, keychainError: null });
  });

  it('stores a secret in the keychain; only the reference reaches SQLite and the audit log', async () => {
    const value = `sk-test-${Math.random().toString(36).slice(2)}-VERY-SECRET`;
    const ref = await app.client.secrets.store({ label: 'Groq API key', kind: 'api-key', value });
    expect(ref.ref).toMatch(/^s_/);
    // Really in the keychain, under the service name "openpanel".
    expect(await new KeychainSecretStore().get(ref.ref)).toBe(value);
    expect(await app.services.secrets.get(ref.ref)).toBe(value);

    const [audit] = await app.client.activity.list({ limit: 1 });
    expect(audit?.action).toBe('secrets.store');
    expect(audit?.input).toContain('[redacted]');
    expect(audit?.input).not.toContain(value);

    app.services.storage.sqlite.pragma('wal_checkpoint(FULL)');
    const bytes = dataDirBytes(app.dataDir);
    expect(bytes).toContain(ref.ref);
    expect(bytes).not.toContain(value);

    expect((await app.client.secrets.list()).map((r) => r.ref)).toContain(ref.ref);
    expect(await app.client.secrets.remove({ ref: ref.ref })).toEqual({ removed: true });
    expect(await new KeychainSecretStore().get(ref.ref)).toBeNull();
  });

  it('keeps inline SSH keys, key passphrases, SSH passwords, S3 secret keys and age private keys out of the data dir (SQLite, WAL, audit log)', async () => {
    // Positive control: values the scanner must find, written where plaintext does go (a target's name, a settings row as JSON).
    const plantedKey = sshKey();
    const plantedName = `planted-${Math.random().toString(36).slice(2)}`;
    app.services.storage.sqlite.prepare('insert into settings (key, value) values (?, ?)').run('test.at-rest-canary', JSON.stringify({ pem: plantedKey }));
    const planted = await app.client.backups.createTarget({ name: plantedName, endpoint: 'http://127.0.0.1:1', region: 'us-east-1', bucket: 'bkt', prefix: '', pathStyle: true, accessKeyId: 'AKPLANT', secretAccessKey: 'planted-secret-not-searched' });
    expect(secretsAtRest(app, { plantedKey, plantedName })).toEqual(['plantedKey', 'plantedName']);
    app.services.storage.sqlite.prepare('delete from settings where key = ?').run('test.at-rest-canary');
    await app.client.backups.removeTarget({ id: planted.id });

    const passphrase = `pass-${Math.random().toString(36).slice(2)}-phrase`;
    const encryptedKey = sshKey(passphrase);
    const plainKey = sshKey();
    const sshPassword = `pw-${Math.random().toString(36).slice(2)}-ssh`;
    const base = { host: '127.0.0.1', port: 1, username: 'nobody', jumpServerId: null };
    const withPhrase = await app.client.servers.create({ ...base, name: 'at-rest-enc', auth: { method: 'key', privateKey: encryptedKey, passphrase } });
    await app.client.servers.create({ ...base, name: 'at-rest-key', auth: { method: 'key', privateKey: plainKey } });
    await app.client.servers.create({ ...base, name: 'at-rest-pw', auth: { method: 'password', password: sshPassword } });
    const newPhrase = `pass2-${Math.random().toString(36).slice(2)}`;
    const reEncrypted = sshKey(newPhrase);
    await app.client.servers.update({ id: withPhrase.id, auth: { method: 'key', privateKey: reEncrypted, passphrase: newPhrase } });
    const s3Secret = `s3sk-${Math.random().toString(36).slice(2)}/+SECRET`;
    const target = await app.client.backups.createTarget({ name: 'at-rest', endpoint: 'http://127.0.0.1:1', region: 'us-east-1', bucket: 'bkt', prefix: '', pathStyle: true, accessKeyId: 'AKATREST', secretAccessKey: s3Secret });
    const { identity } = await app.client.backups.revealKey({ id: target.id });
    expect(identity).toMatch(/^AGE-SECRET-KEY-1/);

    const secrets = { encryptedKey, passphrase, plainKey, sshPassword, reEncrypted, newPhrase, s3Secret, identity };
    expect(secretsAtRest(app, secrets)).toEqual([]);
  });

  it('without a keychain, says so and offers the encrypted vault; never falls back to plaintext', async () => {
    // The real app process with no D-Bus session: the Secret Service is unreachable.
    const web = await startWebProcess({ env: { DBUS_SESSION_BUS_ADDRESS: 'unix:path=/nonexistent/openpanel-no-bus' } });
    try {
      const { client, close } = await web.client();
      const status = await client.secrets.status();
      expect(status.backend).toBe('none');
      expect(status.keychainError).toBeTruthy();
      const err = await rpcError(client.secrets.store({ label: 'x', kind: 'token', value: 'value-1' }));
      expect(err.code).toBe('KEYCHAIN_UNAVAILABLE');
      expect(err.message).toMatch(/vault.*master passphrase/);
      close();
    } finally {
      await web.stop();
    }
  });
});

describe('encrypted vault (scrypt + AES-256-GCM)', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({ secretBackend: 'vault' });
  });
  afterAll(async () => {
    await app?.close();
  });

  it('is created with a master passphrase, holds no plaintext, and refuses a wrong passphrase', async () => {
    expect((await app.client.secrets.status()).backend).toBe('none');
    const locked = await rpcError(app.client.secrets.store({ label: 'x', kind: 'token', value: 'nope' }));
    expect(locked.code).toBe('KEYCHAIN_UNAVAILABLE');
    const short = await rpcError(app.client.secrets.createVault({ passphrase: 'short' }));
    expect(short.code).toBe('INPUT_INVALID');
    expect(short.message).toMatch(/passphrase/);

    expect(await app.client.secrets.createVault({ passphrase: 'correct horse battery' })).toMatchObject({ backend: 'vault', unlocked: true });
    const value = 'vault-secret-value-0123456789';
    const ref = await app.client.secrets.store({ label: 'db password', kind: 'password', value });
    const file = readFileSync(join(app.dataDir, 'vault.json'), 'utf8');
    expect(file).not.toContain(value);
    expect(JSON.parse(file)).toMatchObject({ format: 'openpanel-vault', cipher: 'aes-256-gcm', kdf: { name: 'scrypt' } });

    const again = new VaultSecretStore(join(app.dataDir, 'vault.json'));
    await expect(again.get(ref.ref)).rejects.toMatchObject({ code: 'VAULT_LOCKED' });
    await expect(again.unlock('wrong passphrase!')).rejects.toMatchObject({ code: 'VAULT_WRONG_PASSPHRASE' });
    await again.unlock('correct horse battery');
    expect(await again.get(ref.ref)).toBe(value);
    // A tag cut to 12 bytes would still verify in GCM without a length check: refused, the vault stays locked.
    const body = JSON.parse(file) as { tag: string };
    writeFileSync(join(app.dataDir, 'vault.json'), JSON.stringify({ ...body, tag: Buffer.from(body.tag, 'base64').subarray(0, 12).toString('base64') }));
    const truncated = new VaultSecretStore(join(app.dataDir, 'vault.json'));
    await expect(truncated.unlock('correct horse battery')).rejects.toMatchObject({ code: 'PROFILE_INVALID', message: expect.stringMatching(/^tag: expected a 16-byte/) });
    expect(truncated.unlocked).toBe(false);
    writeFileSync(join(app.dataDir, 'vault.json'), file);

    const audit = await app.client.activity.list({ limit: 10 });
    expect(JSON.stringify(audit)).not.toContain('correct horse battery');
    expect(JSON.stringify(audit)).not.toContain(value);
  });
});
