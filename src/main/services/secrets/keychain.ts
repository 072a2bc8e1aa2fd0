import { AsyncEntry } from '@napi-rs/keyring';
import { randomUUID } from 'node:crypto';
import { KEYCHAIN_SERVICE, type SecretStore } from './store.ts';

/** The OS keychain: Secret Service (GNOME Keyring, KWallet) on Linux, Keychain on macOS, Credential Manager on Windows. */
export class KeychainSecretStore implements SecretStore {
  readonly backend = 'keychain' as const;
  private readonly service: string;

  constructor(service = KEYCHAIN_SERVICE) {
    this.service = service;
  }

  /** Writes, reads back and deletes a throwaway entry. Throws with the OS's reason when the keychain is unusable. */
  async probe(): Promise<void> {
    const entry = new AsyncEntry(this.service, `probe-${randomUUID()}`);
    const token = randomUUID();
    await entry.setPassword(token);
    try {
      const back = await entry.getPassword();
      if (back !== token) throw new Error('the keychain did not return what was stored');
    } finally {
      await entry.deletePassword().catch(() => false);
    }
  }

  async get(ref: string): Promise<string | null> {
    return (await new AsyncEntry(this.service, ref).getPassword()) ?? null;
  }

  async set(ref: string, value: string): Promise<void> {
    await new AsyncEntry(this.service, ref).setPassword(value);
  }

  async delete(ref: string): Promise<boolean> {
    try {
      return await new AsyncEntry(this.service, ref).deletePassword();
    } catch {
      return false;
    }
  }
}
