import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { armor, Encrypter, generateX25519Identity, identityToRecipient } from 'age-encryption';
import { afterAll, describe, expect, it } from 'vitest';
import { identityText, parseIdentities, readKeyFile } from './keys.ts';

const target = { name: 'offsite', endpoint: 'https://s3.example', bucket: 'b', prefix: 'p' };
const dir = mkdtempSync(join(tmpdir(), 'op-keys-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('backup key files', () => {
  it('the recovery text is an age identity file: the age CLI encrypts to its public key and decrypts with it', async () => {
    const key = await generateX25519Identity();
    const text = await identityText(target, [key]);
    expect(text).toContain(`# public key: ${await identityToRecipient(key)}`);
    expect(parseIdentities(text)).toEqual([key]);
    writeFileSync(join(dir, 'key.txt'), text, { mode: 0o600 });
    const e = new Encrypter();
    e.addRecipient(await identityToRecipient(key));
    writeFileSync(join(dir, 'x.age'), await e.encrypt('hello from the app'));
    expect(execFileSync('age', ['-d', '-i', join(dir, 'key.txt'), join(dir, 'x.age')]).toString()).toBe('hello from the app');
  });

  it('reads a passphrase file back, and names the passphrase when it is wrong or missing', async () => {
    const key = await generateX25519Identity();
    const e = new Encrypter();
    e.setPassphrase('correct horse battery');
    // The reader takes the work factor from the file; a low one keeps this test quick on a loaded machine.
    e.setScryptWorkFactor(12);
    const file = armor.encode(await e.encrypt(await identityText(target, [key])));
    expect(await readKeyFile(file, 'correct horse battery')).toEqual([key]);
    await expect(readKeyFile(file, 'wrong passphrase')).rejects.toMatchObject({ code: 'VAULT_WRONG_PASSPHRASE', message: expect.stringMatching(/^passphrase: /) });
    await expect(readKeyFile(file, undefined)).rejects.toMatchObject({ code: 'INPUT_INVALID', message: expect.stringMatching(/^passphrase: /) });
  }, 120_000);

  it('a target name with line breaks stays one comment line (no key can be slipped in)', async () => {
    const key = await generateX25519Identity();
    const planted = await generateX25519Identity();
    const text = await identityText({ ...target, name: `evil\n${planted}\r\n# x` }, [key]);
    expect(parseIdentities(text)).toEqual([key]);
    expect(text.split('\n')[0]).toContain(planted);
  });

  it('refuses text that is not an age key, naming the line', async () => {
    expect(() => parseIdentities('# comment\nAGE-SECRET-KEY-1SHORT\n')).toThrow(/^content: line 2 is not an age private key/);
    expect(() => parseIdentities('# only comments\n')).toThrow(/^content: no age private key/);
  });
});
