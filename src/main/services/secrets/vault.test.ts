import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { VaultSecretStore } from './vault.ts';

describe('vault file: AES-256-GCM tag', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  async function vaultWithSecret(): Promise<string> {
    const dir = mkdtempSync(join(tmpdir(), 'openpanel-vault-'));
    dirs.push(dir);
    const file = join(dir, 'vault.json');
    const store = new VaultSecretStore(file);
    await store.create('correct horse battery');
    await store.set('ref-1', 'the secret');
    return file;
  }

  it('opens an untouched file (positive control) and refuses a tag cut short, whatever its length', async () => {
    const file = await vaultWithSecret();
    const original = readFileSync(file, 'utf8');
    const control = new VaultSecretStore(file);
    await control.unlock('correct horse battery');
    expect(await control.get('ref-1')).toBe('the secret');

    const tag = Buffer.from(JSON.parse(original).tag as string, 'base64');
    expect(tag.length).toBe(16);
    // GCM verifies a truncated tag against the same prefix of the real one: without a length check these open.
    for (const bytes of [4, 8, 12, 15]) {
      writeFileSync(file, JSON.stringify({ ...JSON.parse(original), tag: tag.subarray(0, bytes).toString('base64') }));
      const store = new VaultSecretStore(file);
      await expect(store.unlock('correct horse battery'), `${bytes}-byte tag`).rejects.toMatchObject({ code: 'PROFILE_INVALID', message: expect.stringMatching(/tag: expected a 16-byte/) });
      expect(store.unlocked).toBe(false);
    }
  });
});
