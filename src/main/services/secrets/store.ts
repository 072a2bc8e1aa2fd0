/** Where secret values live. The database holds only the references (ids) used here. */
export interface SecretStore {
  readonly backend: 'keychain' | 'vault';
  get(ref: string): Promise<string | null>;
  set(ref: string, value: string): Promise<void>;
  delete(ref: string): Promise<boolean>;
}

export const KEYCHAIN_SERVICE = 'openpanel';
