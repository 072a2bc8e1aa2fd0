import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { ProfileFileV1, ProfileFileV2, type ProfileServer } from '../../../shared/contract/profiles.ts';
import { AppError, isAppError } from '../core/errors.ts';
import type { ImportedSecrets } from '../servers/service.ts';
import { decrypt, deriveKey, encrypt, newPassphraseKey, type Kdf, type Sealed } from '../secrets/vault.ts';

export const PROFILE_VERSION = 2;

/** What a profile file holds once read: `authenticated` when the passphrase proved every byte of its records. */
export interface OpenedProfile {
  version: 1 | 2;
  servers: ProfileServer[];
  secrets: Map<string, ImportedSecrets>;
  authenticated: boolean;
  /** The backup targets' keys the profile carries (sealed ones only, so always authenticated). */
  backupKeys: BackupKeyEntry[];
}

/** A backup target's age key as a profile carries it: where the target is, and its identity file text. */
export const BackupKeyEntry = z.object({ target: z.object({ name: z.string().max(200), endpoint: z.string().max(2048), bucket: z.string().max(64), prefix: z.string().max(200) }).strict(), identity: z.string().max(65_536) }).strict();
export type BackupKeyEntry = z.infer<typeof BackupKeyEntry>;

const Secrets = z.object({ privateKey: z.string().max(65_536).optional(), password: z.string().max(4096).optional(), passphrase: z.string().max(4096).optional() }).strict();
const MAC_LABEL = 'openpanel-profile v2 mac\n';

/** JSON with keys sorted at every level and no whitespace: the same value always gives the same bytes. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return JSON.stringify(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new AppError('PROFILE_INVALID', 'content: a number in the profile is not finite');
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  throw new AppError('PROFILE_INVALID', `content: a ${typeof value} is not JSON`);
}

// Version 2 derives two keys from the scrypt key, so a version-2 seal can never be opened as version 1.
function subKeys(master: Buffer): { enc: Buffer; mac: Buffer } {
  const derive = (info: string) => Buffer.from(hkdfSync('sha256', master, Buffer.alloc(0), info, 32));
  return { enc: derive('openpanel-profile v2 secrets'), mac: derive('openpanel-profile v2 records') };
}

function macOf(key: Buffer, unsigned: Record<string, unknown>): Buffer {
  return createHmac('sha256', key).update(MAC_LABEL + canonicalJson(unsigned)).digest();
}

/**
 * A version-2 profile sealed under a passphrase: the credentials encrypted with AES-256-GCM and an HMAC-SHA256
 * over the canonical encoding of the whole file (servers, addresses, host keys, the sealed credentials).
 */
export async function sealProfile(body: { exportedAt: string; servers: ProfileServer[] }, passphrase: string, secrets: Map<string, ImportedSecrets>, backupKeys: BackupKeyEntry[] = []): Promise<ProfileFileV2> {
  const { key, kdf } = await newPassphraseKey(passphrase);
  const keys = subKeys(key);
  const sealed = { kdf, cipher: 'aes-256-gcm' as const, ...encrypt(keys.enc, Buffer.from(JSON.stringify(Object.fromEntries(secrets)), 'utf8')) };
  // Sealed apart from the credentials (own nonce, same key), so files without backup keys keep their exact shape.
  const sealedKeys = backupKeys.length ? { backupKeys: { cipher: 'aes-256-gcm' as const, ...encrypt(keys.enc, Buffer.from(JSON.stringify(backupKeys), 'utf8')) } } : {};
  const unsigned = JSON.parse(JSON.stringify({ format: 'openpanel-profile', version: PROFILE_VERSION, ...body, secrets: sealed, ...sealedKeys })) as Omit<ProfileFileV2, 'mac'>;
  return { ...unsigned, mac: macOf(keys.mac, unsigned).toString('base64') };
}

export function plainProfile(body: { exportedAt: string; servers: ProfileServer[] }): ProfileFileV2 {
  return { format: 'openpanel-profile', version: PROFILE_VERSION, ...body, secrets: null, mac: null };
}

/** Parses, validates and (with the passphrase) authenticates a profile file of version 1 or 2. */
export async function openProfile(content: string, passphrase: string | undefined): Promise<OpenedProfile> {
  let raw: unknown;
  try {
    raw = JSON.parse(content);
  } catch {
    throw new AppError('PROFILE_INVALID', 'content: not a JSON file');
  }
  const version = raw && typeof raw === 'object' ? (raw as { version?: unknown }).version : undefined;
  if (version !== 1 && version !== 2) {
    const format = raw && typeof raw === 'object' ? (raw as { format?: unknown }).format : undefined;
    if (format !== 'openpanel-profile') throw new AppError('PROFILE_INVALID', 'content: not an OpenPanel profile (format: expected "openpanel-profile")');
    throw new AppError('PROFILE_INVALID', `version: expected 1 or 2, this file says ${JSON.stringify(version)}`);
  }
  const parsed = (version === 1 ? ProfileFileV1 : ProfileFileV2).safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new AppError('PROFILE_INVALID', `content: not an OpenPanel profile (${issue.path.join('.') || 'file'}: ${issue.message})`);
  }
  const file = parsed.data;
  if (file.version === 2 && (file.mac === null) !== (file.secrets === null)) throw new AppError('PROFILE_INVALID', 'mac: a sealed profile needs both its credentials and its mac; this file was modified');
  if (!file.secrets) {
    if (passphrase) throw new AppError('INPUT_INVALID', 'passphrase: this profile holds no sealed credentials, so nothing in it can be checked with a passphrase; import it without one and confirm its host keys');
    if (file.version === 2 && file.backupKeys) throw new AppError('PROFILE_INVALID', 'backupKeys: sealed backup keys in a profile without sealed credentials; this file was modified');
    return { version: file.version, servers: file.servers, secrets: new Map(), authenticated: false, backupKeys: [] };
  }
  if (!passphrase) throw new AppError('INPUT_INVALID', 'passphrase: this profile contains encrypted credentials; enter the passphrase it was exported with');
  const master = await deriveKey(passphrase, file.secrets.kdf);
  if (file.version === 1) return { version: 1, servers: file.servers, secrets: secretsOf(openV1(master, file.secrets)), authenticated: false, backupKeys: [] };
  const keys = subKeys(master);
  const plain = withProfileMessage(() => decrypt(keys.enc, file.secrets!));
  const { mac: _mac, ...unsigned } = raw as Record<string, unknown>;
  const given = Buffer.from(file.mac!, 'base64');
  const expected = macOf(keys.mac, unsigned);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw new AppError('PROFILE_INVALID', 'content: this profile was changed after it was exported (its servers, addresses or host keys no longer match what the passphrase sealed); nothing was imported', { reason: 'tampered' });
  }
  const backupKeys = file.backupKeys ? backupKeysOf(withProfileMessage(() => decrypt(keys.enc, file.backupKeys!))) : [];
  return { version: 2, servers: file.servers, secrets: secretsOf(plain), authenticated: true, backupKeys };
}

// Version 1 sealed only the credentials. A version-2 seal relabelled as version 1 is recognised and refused.
function openV1(master: Buffer, sealed: Sealed & { kdf: Kdf }): Buffer {
  try {
    return withProfileMessage(() => decrypt(master, sealed));
  } catch (e) {
    if (!isAppError(e, 'VAULT_WRONG_PASSPHRASE')) throw e;
    let downgraded = false;
    try {
      decrypt(subKeys(master).enc, sealed);
      downgraded = true;
    } catch {
      // not a version-2 seal either: the passphrase is wrong
    }
    if (downgraded) throw new AppError('PROFILE_INVALID', 'version: this profile was exported as version 2 and changed to version 1; it was modified and is refused', { reason: 'tampered' });
    throw e;
  }
}

function withProfileMessage(open: () => Buffer): Buffer {
  try {
    return open();
  } catch (e) {
    if (isAppError(e, 'VAULT_WRONG_PASSPHRASE')) throw new AppError('VAULT_WRONG_PASSPHRASE', 'passphrase: wrong passphrase for this profile');
    throw e;
  }
}

function secretsOf(plain: Buffer): Map<string, ImportedSecrets> {
  let json: unknown;
  try {
    json = JSON.parse(plain.toString('utf8'));
  } catch {
    throw new AppError('PROFILE_INVALID', 'secrets: the sealed credentials are not JSON');
  }
  if (!json || typeof json !== 'object' || Array.isArray(json)) throw new AppError('PROFILE_INVALID', 'secrets: expected an object of credentials by server ref');
  const out = new Map<string, ImportedSecrets>();
  for (const [ref, value] of Object.entries(json)) {
    const parsed = Secrets.safeParse(value);
    if (!parsed.success) throw new AppError('PROFILE_INVALID', `secrets.${ref}: expected privateKey, password or passphrase strings`);
    out.set(ref, parsed.data);
  }
  return out;
}

function backupKeysOf(plain: Buffer): BackupKeyEntry[] {
  let json: unknown;
  try {
    json = JSON.parse(plain.toString('utf8'));
  } catch {
    throw new AppError('PROFILE_INVALID', 'backupKeys: the sealed backup keys are not JSON');
  }
  const parsed = z.array(BackupKeyEntry).max(1000).safeParse(json);
  if (!parsed.success) throw new AppError('PROFILE_INVALID', 'backupKeys: expected a list of backup targets with their age keys');
  return parsed.data;
}
