import { createCipheriv, createDecipheriv, randomBytes, scrypt as scryptCb, type ScryptOptions } from 'node:crypto';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { AppError } from '../core/errors.ts';
import type { SecretStore } from './store.ts';

function scrypt(password: string, salt: Buffer, keylen: number, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scryptCb(password, salt, keylen, options, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

interface VaultFile {
  format: 'openpanel-vault';
  version: 1;
  kdf: { name: 'scrypt'; N: number; r: number; p: number; salt: string };
  cipher: 'aes-256-gcm';
  iv: string;
  tag: string;
  data: string;
}

const KDF = { N: 1 << 15, r: 8, p: 1 };

export type Kdf = VaultFile['kdf'];
export type Sealed = { iv: string; tag: string; data: string };

const TAG_BYTES = 16;
const IV_BYTES = 12;

/** A fresh scrypt key for a passphrase, with the parameters to store beside what it seals. */
export async function newPassphraseKey(passphrase: string): Promise<{ key: Buffer; kdf: Kdf }> {
  const kdf: Kdf = { name: 'scrypt', ...KDF, salt: randomBytes(16).toString('base64') };
  return { key: await deriveKey(passphrase, kdf), kdf };
}

export async function deriveKey(passphrase: string, kdf: Kdf): Promise<Buffer> {
  if (kdf.name !== 'scrypt' || kdf.N > 1 << 20 || kdf.r > 32 || kdf.p > 16) {
    throw new AppError('PROFILE_INVALID', 'kdf: expected scrypt with sane parameters');
  }
  return scrypt(passphrase, Buffer.from(kdf.salt, 'base64'), 32, { N: kdf.N, r: kdf.r, p: kdf.p, maxmem: 256 * 1024 * 1024 });
}

export function encrypt(key: Buffer, plaintext: Buffer): Sealed {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
  const data = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return { iv: iv.toString('base64'), tag: cipher.getAuthTag().toString('base64'), data: data.toString('base64') };
}

/** AES-256-GCM with a full 16-byte tag only: GCM would otherwise verify a truncated tag, which is forgeable. */
export function decrypt(key: Buffer, sealed: Sealed): Buffer {
  const iv = Buffer.from(sealed.iv, 'base64');
  const tag = Buffer.from(sealed.tag, 'base64');
  if (iv.length !== IV_BYTES) throw new AppError('PROFILE_INVALID', `iv: expected a ${IV_BYTES}-byte AES-GCM nonce, got ${iv.length} bytes; the file was modified or damaged`);
  if (tag.length !== TAG_BYTES) throw new AppError('PROFILE_INVALID', `tag: expected a ${TAG_BYTES}-byte AES-GCM authentication tag, got ${tag.length} bytes; the file was modified or damaged`);
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(Buffer.from(sealed.data, 'base64')), decipher.final()]);
  } catch {
    throw new AppError('VAULT_WRONG_PASSPHRASE', 'passphrase: wrong passphrase, or the file was modified');
  }
}

/**
 * The fallback when no OS keychain exists: one file, encrypted as a whole with AES-256-GCM under a key
 * derived from a master passphrase with scrypt. Never plaintext; locked until unlocked in this process.
 */
export class VaultSecretStore implements SecretStore {
  readonly backend = 'vault' as const;
  private key: Buffer | null = null;
  private kdf: VaultFile['kdf'] | null = null;
  private entries = new Map<string, string>();
  private readonly file: string;

  constructor(file: string) {
    this.file = file;
  }

  get exists(): boolean {
    return existsSync(this.file);
  }

  get unlocked(): boolean {
    return this.key !== null;
  }

  async create(passphrase: string): Promise<void> {
    if (this.exists) throw new AppError('VAULT_EXISTS', 'A vault already exists; unlock it with its passphrase instead.');
    const salt = randomBytes(16);
    this.kdf = { name: 'scrypt', ...KDF, salt: salt.toString('base64') };
    this.key = await deriveKey(passphrase, this.kdf);
    this.entries = new Map();
    this.persist();
  }

  async unlock(passphrase: string): Promise<void> {
    if (!this.exists) throw new AppError('NOT_FOUND', 'No vault exists yet; create one with a master passphrase.');
    const file = JSON.parse(readFileSync(this.file, 'utf8')) as VaultFile;
    if (file.format !== 'openpanel-vault' || file.version !== 1) throw new AppError('PROFILE_INVALID', `vault: unknown format in ${this.file}`);
    const key = await deriveKey(passphrase, file.kdf);
    const plain = decrypt(key, file);
    this.entries = new Map(Object.entries(JSON.parse(plain.toString('utf8')) as Record<string, string>));
    this.key = key;
    this.kdf = file.kdf;
  }

  lock(): void {
    this.key = null;
    this.entries.clear();
  }

  async get(ref: string): Promise<string | null> {
    this.requireUnlocked();
    return this.entries.get(ref) ?? null;
  }

  async set(ref: string, value: string): Promise<void> {
    this.requireUnlocked();
    this.entries.set(ref, value);
    this.persist();
  }

  async delete(ref: string): Promise<boolean> {
    this.requireUnlocked();
    const had = this.entries.delete(ref);
    if (had) this.persist();
    return had;
  }

  private requireUnlocked(): void {
    if (!this.key) throw new AppError('VAULT_LOCKED', 'The secret vault is locked: unlock it with your master passphrase (Settings → Secrets).');
  }

  private persist(): void {
    if (!this.key || !this.kdf) throw new AppError('VAULT_LOCKED', 'The secret vault is locked.');
    const plain = Buffer.from(JSON.stringify(Object.fromEntries(this.entries)), 'utf8');
    const body: VaultFile = { format: 'openpanel-vault', version: 1, kdf: this.kdf, cipher: 'aes-256-gcm', ...encrypt(this.key, plain) };
    const tmp = `${this.file}.tmp-${process.pid}`;
    writeFileSync(tmp, JSON.stringify(body), { mode: 0o600 });
    renameSync(tmp, this.file);
  }
}
