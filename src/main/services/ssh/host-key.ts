import { createHash } from 'node:crypto';

export interface HostKeyInfo {
  keyType: string;
  /** OpenSSH style: "SHA256:" + unpadded base64 of the SHA-256 of the key blob. */
  fingerprint: string;
}

/** Reads the key type (first SSH string) of a raw host key blob and fingerprints it like `ssh-keygen -l`. */
export function hostKeyInfo(blob: Buffer): HostKeyInfo {
  let keyType = 'unknown';
  if (blob.length >= 4) {
    const len = blob.readUInt32BE(0);
    if (len > 0 && len < 64 && blob.length >= 4 + len) keyType = blob.subarray(4, 4 + len).toString('ascii');
  }
  return { keyType, fingerprint: fingerprintOf(blob) };
}

export function fingerprintOf(blob: Buffer): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

/** The host-key algorithm names ssh2 negotiates that produce keys of a given type. */
export function algorithmsForKeyType(keyType: string): string[] {
  if (keyType === 'ssh-rsa') return ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'];
  return [keyType];
}
