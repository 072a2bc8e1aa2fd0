import { armor, Decrypter, Encrypter, identityToRecipient } from 'age-encryption';
import type { BackupKeyInfo, KeyPreview } from '../../../shared/contract/backup-keys.ts';
import type { ProfileBackupKey } from '../../../shared/contract/profiles.ts';
import type { BackupKeyEntry } from '../profiles/format.ts';
import { AppError, errorMessage } from '../core/errors.ts';
import type { SecretsService } from '../secrets/service.ts';
import { KEYCHAIN_SERVICE } from '../secrets/store.ts';
import type { BackupStore, TargetRow } from './store.ts';

const KEY_LINE = /^AGE-SECRET-KEY-1[0-9A-Z]{58}$/;
const ARMOR_BEGIN = '-----BEGIN AGE ENCRYPTED FILE-----';

/** The age keys of an identity file (age-keygen's format: `#` comments, one AGE-SECRET-KEY-1 line per key). */
export function parseIdentities(text: string, field = 'content'): string[] {
  const keys: string[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    if (!KEY_LINE.test(line)) throw new AppError('INPUT_INVALID', `${field}: line ${i + 1} is not an age private key (expected AGE-SECRET-KEY-1… or a # comment)`);
    if (!keys.includes(line)) keys.push(line);
  });
  if (keys.length === 0) throw new AppError('INPUT_INVALID', `${field}: no age private key (AGE-SECRET-KEY-1…) found`);
  return keys;
}

/** Reads a key file: armored age encrypted under a passphrase, or the plain identity text (the recovery text). */
export async function readKeyFile(content: string, passphrase: string | undefined): Promise<string[]> {
  if (!content.includes(ARMOR_BEGIN)) return parseIdentities(content);
  if (!passphrase) throw new AppError('INPUT_INVALID', 'passphrase: this key file is encrypted; enter the passphrase it was exported with');
  let sealed: Uint8Array;
  try {
    sealed = armor.decode(content.slice(content.indexOf(ARMOR_BEGIN)));
  } catch (e) {
    throw new AppError('INPUT_INVALID', `content: not a readable age file (${errorMessage(e)})`);
  }
  const d = new Decrypter();
  d.addPassphrase(passphrase);
  let plain: Uint8Array;
  try {
    plain = await d.decrypt(sealed);
  } catch {
    throw new AppError('VAULT_WRONG_PASSPHRASE', 'passphrase: wrong passphrase for this key file, or the file was modified');
  }
  return parseIdentities(Buffer.from(plain).toString('utf8'));
}

/** age-keygen's layout plus where the key belongs and how to use it without OpenPanel. */
export async function identityText(t: Pick<TargetRow, 'name' | 'endpoint' | 'bucket' | 'prefix'>, keys: string[], now = new Date()): Promise<string> {
  // Every value stays on its comment line: a name with a line break must not add a line of its own.
  const oneLine = (v: string) => [...v].map((c) => (c.charCodeAt(0) < 32 || c === '\u007f' || c === '\u2028' || c === '\u2029' ? ' ' : c)).join('');
  const lines = [
    `# OpenPanel backup key of the target "${oneLine(t.name)}": ${oneLine(t.endpoint)} bucket ${oneLine(t.bucket)}${t.prefix ? ` prefix ${oneLine(t.prefix)}` : ''}`,
    `# created: ${now.toISOString()}`,
    '# Without OpenPanel: download a backup with any S3 client, then',
    '#   age -d -i this-file.txt <backup>.sql.zst.age | zstd -d | psql ...',
    '#   (backups ending .gz.age: | gunzip | instead of | zstd -d |)',
    '# Keep this text private: it opens every backup of this target.',
  ];
  for (const [i, key] of keys.entries()) {
    lines.push(`# public key${i > 0 ? ' (older, for earlier backups)' : ''}: ${await identityToRecipient(key)}`, key);
  }
  return `${lines.join('\n')}\n`;
}

export interface BackupKeysDeps {
  store: BackupStore;
  secrets: SecretsService;
  /** Rewrites the schedulers of the servers whose jobs write to this target (their recipient changed). */
  resync(targetId: string): Promise<void>;
}

/**
 * The age private key of a target, beyond this computer: where it is, export (a passphrase-encrypted age file that
 * the age CLI opens too, or the printable text), and install from such a file or text.
 */
export class BackupKeys {
  private readonly deps: BackupKeysDeps;

  constructor(deps: BackupKeysDeps) {
    this.deps = deps;
  }

  /** The target's keys, newest first: the first one is what backups are encrypted to. */
  async keys(targetId: string): Promise<string[]> {
    const t = this.deps.store.target(targetId);
    return parseIdentities(await this.deps.secrets.require(t.identityRef, 'the age private key of this target'), 'identity');
  }

  info(targetId: string): BackupKeyInfo {
    const t = this.deps.store.target(targetId);
    const backend = this.deps.secrets.backend;
    const label = this.deps.secrets.list().find((r) => r.ref === t.identityRef)?.label ?? null;
    const where =
      backend === 'vault'
        ? `in the encrypted vault file of this computer (entry ${t.identityRef})`
        : `in this computer's keychain: service "${KEYCHAIN_SERVICE}", account "${t.identityRef}"${label ? ` (${label})` : ''}`;
    return { targetId, recipient: t.recipient, backend: backend === 'none' ? 'keychain' : backend, service: KEYCHAIN_SERVICE, account: t.identityRef, label, where };
  }

  async recoveryText(targetId: string): Promise<{ text: string; recipient: string }> {
    const t = this.deps.store.target(targetId);
    return { text: await identityText(t, await this.keys(targetId)), recipient: t.recipient };
  }

  /** An armored age file encrypted with the passphrase (age's scrypt recipient: `age -d` opens it too). */
  async exportFile(targetId: string, passphrase: string): Promise<{ fileName: string; content: string; recipient: string }> {
    const t = this.deps.store.target(targetId);
    const e = new Encrypter();
    e.setPassphrase(passphrase);
    const content = armor.encode(await e.encrypt(await identityText(t, await this.keys(targetId))));
    const safe = t.name.replace(/[^A-Za-z0-9_-]+/g, '-').replace(/^-|-$/g, '') || 'target';
    return { fileName: `openpanel-backup-key-${safe}.age`, content, recipient: t.recipient };
  }

  async preview(targetId: string, content: string, passphrase: string | undefined): Promise<KeyPreview> {
    const t = this.deps.store.target(targetId);
    const keys = await readKeyFile(content, passphrase);
    const recipients = await Promise.all(keys.map((k) => identityToRecipient(k)));
    const current = await this.keys(targetId);
    return { targetId, current: t.recipient, recipient: recipients[0]!, recipients, same: recipients[0] === t.recipient, alreadyKnown: keys.every((k) => current.includes(k)) };
  }

  /**
   * Installs the file's key as the target's key. A different key is replaced only when `replace` echoes the
   * recipient in use now; the replaced key is kept beside the new one, so older backups still open.
   */
  async install(targetId: string, content: string, passphrase: string | undefined, replace: string | undefined): Promise<{ recipient: string; replaced: string | null; changed: boolean }> {
    const t = this.deps.store.target(targetId);
    const keys = await readKeyFile(content, passphrase);
    const recipient = await identityToRecipient(keys[0]!);
    const current = await this.keys(targetId);
    const merged = [...keys, ...current.filter((k) => !keys.includes(k))];
    if (recipient === t.recipient) {
      if (merged.length === current.length) return { recipient, replaced: null, changed: false };
      await this.deps.secrets.replace(t.identityRef, `backup target ${t.name}: age private key`, 'age-identity', [current[0]!, ...merged.filter((k) => k !== current[0])].join('\n'));
      return { recipient, replaced: null, changed: true };
    }
    if (replace !== t.recipient) {
      throw new AppError('CONFLICT', `replace: the target ${t.name} encrypts to ${t.recipient} on this computer and the file holds ${recipient}; to install it, confirm by giving the current recipient ${t.recipient}`, {
        current: t.recipient,
        incoming: recipient,
      });
    }
    await this.deps.secrets.replace(t.identityRef, `backup target ${t.name}: age private key`, 'age-identity', merged.join('\n'));
    this.deps.store.setRecipient(targetId, recipient);
    await this.deps.resync(targetId);
    return { recipient, replaced: t.recipient, changed: true };
  }

  /** Every target's key, for a passphrase-sealed server profile. */
  async entries(): Promise<BackupKeyEntry[]> {
    const out: BackupKeyEntry[] = [];
    for (const t of this.deps.store.targets()) out.push({ target: { name: t.name, endpoint: t.endpoint, bucket: t.bucket, prefix: t.prefix }, identity: await identityText(t, await this.keys(t.id)) });
    return out;
  }

  /** Each carried key beside the local target with the same endpoint, bucket and prefix (if any). */
  async plan(entries: BackupKeyEntry[]): Promise<ProfileBackupKey[]> {
    const targets = this.deps.store.targets();
    return Promise.all(
      entries.map(async (e, index) => {
        const recipient = await identityToRecipient(parseIdentities(e.identity, `backupKeys.${index}`)[0]!);
        const t = targets.find((x) => x.endpoint === e.target.endpoint && x.bucket === e.target.bucket && x.prefix === e.target.prefix);
        return { index, target: e.target, recipient, match: t ? { targetId: t.id, name: t.name, current: t.recipient } : null, same: t?.recipient === recipient };
      }),
    );
  }
}
