import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keyIsEncrypted, previewSshConfig, readKeyHead } from './ssh-config.ts';

describe('ssh-config import preview', () => {
  let dir: string;
  const key = (name: string) => join(dir, name);
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'op-sshcfg-'));
    // Real keys from ssh-keygen and openssl, in each format a user may have.
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', key('plain')]);
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', 'secret pass', '-f', key('enc')]);
    execFileSync('ssh-keygen', ['-q', '-t', 'rsa', '-b', '2048', '-m', 'PEM', '-N', 'secret pass', '-f', key('pem-enc')]);
    execFileSync('ssh-keygen', ['-q', '-t', 'rsa', '-b', '2048', '-m', 'PEM', '-N', '', '-f', key('pem-plain')]);
    execFileSync('openssl', ['genpkey', '-algorithm', 'ed25519', '-aes-256-cbc', '-pass', 'pass:secret', '-out', key('pkcs8-enc')]);
    writeFileSync(key('not-a-key'), 'hello\n');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads whether a key is encrypted from its header', () => {
    const of = (name: string) => keyIsEncrypted(readFileSync(key(name), 'utf8'));
    expect(of('plain')).toBe(false);
    expect(of('enc')).toBe(true);
    expect(of('pem-enc')).toBe(true);
    expect(of('pem-plain')).toBe(false);
    expect(of('pkcs8-enc')).toBe(true);
    expect(of('not-a-key')).toBeNull();
  });

  it('ticks only servers (own HostName, valid port); warns about encrypted and unreadable keys', async () => {
    const config = `Match host *.corp exec "true"
  User corp

Host github.com
  User git
  IdentityFile ${key('enc')}

Host web-1
  HostName 10.0.0.5
  IdentityFile ${key('enc')}

Host db-1
  HostName 10.0.0.6

Host legacy
  HostName 10.0.0.7
  IdentityFile ${key('pem-enc')}

Host gone
  HostName 10.0.0.8
  IdentityFile ${key('missing')}

Host badport
  HostName 10.0.0.9
  Port 70000

Host *.internal !skip
  User internal

Host *
  User fallback
  IdentityFile ${key('plain')}
`;
    const list = await previewSshConfig(config, readKeyHead, '/home/me');
    const by = Object.fromEntries(list.map((e) => [e.alias, e]));
    expect(list.map((e) => e.alias)).toEqual(['github.com', 'web-1', 'db-1', 'legacy', 'gone', 'badport']);
    expect(list.filter((e) => e.suggested).map((e) => e.alias)).toEqual(['web-1', 'db-1', 'legacy', 'gone']);
    expect(by['github.com']).toMatchObject({ suggested: false, skipReason: expect.stringMatching(/^no HostName/), keyNeedsPassphrase: true });
    expect(by['badport']).toMatchObject({ suggested: false, skipReason: 'its port is not valid' });
    expect(by['web-1']).toMatchObject({ keyNeedsPassphrase: true, warnings: [`the key ${key('enc')} is encrypted: after importing, enter its passphrase with Edit on the server`] });
    expect(by['db-1']).toMatchObject({ identityFile: key('plain'), keyNeedsPassphrase: false, warnings: [] });
    expect(by['legacy']?.keyNeedsPassphrase).toBe(true);
    expect(by['gone']).toMatchObject({ keyNeedsPassphrase: null, warnings: [`the key ${key('missing')} cannot be read here (ENOENT)`] });
  });
});
