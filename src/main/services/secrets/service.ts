import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { eq } from 'drizzle-orm';
import type { SecretRef, SecretStatus } from '../../../shared/contract/secrets.ts';
import { AppError, errorMessage } from '../core/errors.ts';
import type { Db } from '../db/index.ts';
import { secretRefs } from '../db/schema.ts';
import { KeychainSecretStore } from './keychain.ts';
import type { SecretStore } from './store.ts';
import { VaultSecretStore } from './vault.ts';

export type SecretBackendChoice = 'auto' | 'keychain' | 'vault';

/**
 * Secrets for the rest of the app: values go to the OS keychain (or, when there is none, to the
 * encrypted vault); the database only records a reference, a label and a kind.
 */
export class SecretsService {
  private store: SecretStore | null = null;
  private keychainError: string | null = null;
  readonly vault: VaultSecretStore;
  private readonly db: Db;

  private constructor(db: Db, dataDir: string) {
    this.db = db;
    this.vault = new VaultSecretStore(join(dataDir, 'vault.json'));
  }

  static async open(db: Db, dataDir: string, choice: SecretBackendChoice = 'auto'): Promise<SecretsService> {
    const service = new SecretsService(db, dataDir);
    if (choice !== 'vault') {
      const keychain = new KeychainSecretStore();
      try {
        await keychain.probe();
        service.store = keychain;
      } catch (e) {
        service.keychainError = errorMessage(e);
        if (choice === 'keychain') throw new AppError('KEYCHAIN_UNAVAILABLE', `The OS keychain is not available: ${service.keychainError}`);
      }
    }
    if (!service.store && service.vault.exists) service.store = service.vault;
    return service;
  }

  get backend(): 'keychain' | 'vault' | 'none' {
    return this.store?.backend ?? 'none';
  }

  status(): SecretStatus {
    return {
      backend: this.backend,
      unlocked: this.store?.backend === 'keychain' || this.vault.unlocked,
      vaultExists: this.vault.exists,
      keychainError: this.keychainError,
    };
  }

  async createVault(passphrase: string): Promise<SecretStatus> {
    if (this.store?.backend === 'keychain') {
      throw new AppError('CONFLICT', 'The OS keychain is available and in use; a vault is only for machines without one.');
    }
    await this.vault.create(passphrase);
    this.store = this.vault;
    return this.status();
  }

  async unlockVault(passphrase: string): Promise<SecretStatus> {
    await this.vault.unlock(passphrase);
    this.store ??= this.vault;
    return this.status();
  }

  private requireStore(): SecretStore {
    if (this.store) return this.store;
    throw new AppError(
      'KEYCHAIN_UNAVAILABLE',
      `No OS keychain is available (${this.keychainError ?? 'unknown reason'}). ` +
        'Create an encrypted vault protected by a master passphrase (Settings → Secrets) to store secrets on this machine.',
    );
  }

  /** Stores a value and records its reference. Returns the reference only. */
  async put(label: string, kind: string, value: string): Promise<SecretRef> {
    const store = this.requireStore();
    const ref = `s_${randomUUID().replaceAll('-', '')}`;
    await store.set(ref, value);
    const row = { ref, label, kind, createdAt: Date.now() };
    this.db.insert(secretRefs).values(row).run();
    return row;
  }

  /** Replaces the value behind an existing reference (or creates it under that reference). */
  async replace(ref: string, label: string, kind: string, value: string): Promise<void> {
    await this.requireStore().set(ref, value);
    this.db.insert(secretRefs).values({ ref, label, kind, createdAt: Date.now() }).onConflictDoUpdate({ target: secretRefs.ref, set: { label, kind } }).run();
  }

  async get(ref: string): Promise<string | null> {
    return this.requireStore().get(ref);
  }

  async require(ref: string, what: string): Promise<string> {
    const value = await this.get(ref);
    if (value === null) throw new AppError('NOT_FOUND', `${what}: the secret is missing from the ${this.backend}; enter it again`);
    return value;
  }

  list(): SecretRef[] {
    return this.db.select().from(secretRefs).all();
  }

  async remove(ref: string): Promise<boolean> {
    const existed = this.db.delete(secretRefs).where(eq(secretRefs.ref, ref)).run().changes > 0;
    const deleted = this.store ? await this.store.delete(ref).catch(() => false) : false;
    return existed || deleted;
  }
}
