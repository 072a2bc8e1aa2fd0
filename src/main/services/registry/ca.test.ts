import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeCa, makeLeaf } from './ca.ts';

function openssl(args: string[]): string {
  return execFileSync('openssl', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

describe('registry CA', () => {
  const dir = mkdtempSync(join(tmpdir(), 'op-ca-'));
  const ca = makeCa('OpenPanel registry CA test');

  it('makes a CA root that signs leaves for an IP address or a name, as openssl verifies them', () => {
    const root = new X509Certificate(ca.cert);
    expect(root.ca).toBe(true);
    expect(root.subject).toBe('CN=OpenPanel registry CA test');
    expect(root.verify(root.publicKey)).toBe(true);
    writeFileSync(join(dir, 'ca.crt'), ca.cert);
    for (const host of ['10.231.4.11', 'registry.example.internal', 'fd00::5']) {
      const leaf = makeLeaf(ca, host);
      const cert = new X509Certificate(leaf.cert);
      expect(cert.ca).toBe(false);
      expect(cert.verify(root.publicKey)).toBe(true);
      expect(cert.checkIssued(root)).toBe(true);
      const file = join(dir, 'leaf.crt');
      writeFileSync(file, leaf.cert);
      const check = host.includes('.') && !/^\d/.test(host) ? ['-verify_hostname', host] : ['-verify_ip', host];
      expect(openssl(['verify', '-purpose', 'sslserver', ...check, '-CAfile', join(dir, 'ca.crt'), file])).toContain(': OK');
    }
  });

  it('a leaf does not verify for another address, nor against another CA', () => {
    const leaf = makeLeaf(ca, '10.231.4.11');
    writeFileSync(join(dir, 'leaf.crt'), leaf.cert);
    expect(() => openssl(['verify', '-verify_ip', '10.231.4.12', '-CAfile', join(dir, 'ca.crt'), join(dir, 'leaf.crt')])).toThrow();
    const other = makeCa('OpenPanel registry CA test');
    writeFileSync(join(dir, 'other.crt'), other.cert);
    expect(() => openssl(['verify', '-CAfile', join(dir, 'other.crt'), join(dir, 'leaf.crt')])).toThrow();
    expect(new X509Certificate(leaf.cert).verify(new X509Certificate(other.cert).publicKey)).toBe(false);
  });
});
