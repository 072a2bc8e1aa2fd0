import { createHmac, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { fingerprintOf } from './host-key.ts';
import { entryMatches, parseKnownHosts } from './known-hosts.ts';

const KEY = Buffer.concat([Buffer.from([0, 0, 0, 11]), Buffer.from('ssh-ed25519'), Buffer.from([0, 0, 0, 32]), randomBytes(32)]);

describe('known_hosts', () => {
  it('reads plain, bracketed and hashed entries and skips markers', () => {
    const salt = randomBytes(20);
    const hash = createHmac('sha1', salt).update('[web.example]:2222').digest();
    const text = [
      '# comment',
      `web.example,10.0.0.5 ssh-ed25519 ${KEY.toString('base64')} me@laptop`,
      `|1|${salt.toString('base64')}|${hash.toString('base64')} ssh-ed25519 ${KEY.toString('base64')}`,
      `@cert-authority *.example ssh-ed25519 ${KEY.toString('base64')}`,
    ].join('\n');
    const entries = parseKnownHosts(text);
    expect(entries).toHaveLength(2);
    expect(entries[0]!.fingerprint).toBe(fingerprintOf(KEY));
    expect(entryMatches(entries[0]!, '10.0.0.5', 22)).toBe(true);
    expect(entryMatches(entries[0]!, '10.0.0.5', 2222)).toBe(false);
    expect(entryMatches(entries[1]!, 'web.example', 2222)).toBe(true);
    expect(entryMatches(entries[1]!, 'web.example', 22)).toBe(false);
  });
});
