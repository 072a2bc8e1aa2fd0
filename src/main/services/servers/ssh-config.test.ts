import { describe, expect, it } from 'vitest';
import { parseJump, parseSshConfig } from './ssh-config.ts';

describe('parseSshConfig', () => {
  it('reads hosts with first-value-wins and Host * defaults', () => {
    const entries = parseSshConfig(
      `# comment
Host web-1 web-1-alias
  HostName 10.0.0.5
  User deploy
  Port 2222
  IdentityFile ~/.ssh/id_ed25519
  ProxyJump bastion

Host bastion
  HostName bastion.example.com
  User = jump

Host *.internal
  User internal

Host *
  User fallback
  Port 22
`,
      '/home/me',
    );
    expect(entries.map((e) => e.alias)).toEqual(['web-1', 'web-1-alias', 'bastion']);
    expect(entries[0]).toEqual({ alias: 'web-1', host: '10.0.0.5', port: 2222, username: 'deploy', identityFile: '/home/me/.ssh/id_ed25519', proxyJump: 'bastion', problems: [] });
    expect(entries[2]).toMatchObject({ host: 'bastion.example.com', username: 'jump', port: 22, proxyJump: null });
  });
  it('reports what it cannot follow and bad ports', () => {
    const [e] = parseSshConfig('Include ~/.ssh/conf.d/*\nHost x\n  Port 99999\n');
    expect(e?.problems).toEqual(['Include ~/.ssh/conf.d/* is not followed', 'Port "99999" is not a valid port']);
  });
  it('splits ProxyJump chains', () => {
    expect(parseJump('a@b:2200,c')).toEqual([
      { username: 'a', host: 'b', port: 2200 },
      { username: null, host: 'c', port: null },
    ]);
  });
});
