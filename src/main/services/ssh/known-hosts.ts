import { createHmac } from 'node:crypto';
import { fingerprintOf } from './host-key.ts';

export interface KnownHostEntry {
  /** Plain patterns ("host", "[host]:port"), or null for a hashed entry. */
  patterns: string[] | null;
  hashed: { salt: Buffer; hash: Buffer } | null;
  keyType: string;
  fingerprint: string;
}

/** Parses OpenSSH known_hosts lines (plain and hashed `|1|` entries; @cert-authority and @revoked are skipped). */
export function parseKnownHosts(text: string): KnownHostEntry[] {
  const out: KnownHostEntry[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith('#') || line.startsWith('@')) continue;
    const [hosts, keyType, b64] = line.split(/\s+/);
    if (!hosts || !keyType || !b64) continue;
    let blob: Buffer;
    try {
      blob = Buffer.from(b64, 'base64');
    } catch {
      continue;
    }
    if (blob.length < 16) continue;
    const fingerprint = fingerprintOf(blob);
    if (hosts.startsWith('|1|')) {
      const [, , salt, hash] = hosts.split('|');
      if (salt && hash) out.push({ patterns: null, hashed: { salt: Buffer.from(salt, 'base64'), hash: Buffer.from(hash, 'base64') }, keyType, fingerprint });
    } else out.push({ patterns: hosts.split(','), hashed: null, keyType, fingerprint });
  }
  return out;
}

/** The name OpenSSH writes for host:port ("host" on 22, "[host]:port" otherwise). */
export function knownHostsName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

export function entryMatches(entry: KnownHostEntry, host: string, port: number): boolean {
  const name = knownHostsName(host, port);
  if (entry.hashed) return createHmac('sha1', entry.hashed.salt).update(name).digest().equals(entry.hashed.hash);
  return entry.patterns!.some((p) => !p.startsWith('!') && new RegExp(`^${p.replace(/[.+^${}()|[\]\\]/g, '\\$&').replaceAll('*', '.*').replaceAll('?', '.')}$`, 'i').test(name));
}
