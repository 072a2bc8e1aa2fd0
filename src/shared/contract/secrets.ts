import { z } from 'zod';
import { base, Id } from './base.ts';

export const SecretStatus = z.object({
  backend: z.enum(['keychain', 'vault', 'none']),
  /** Only for the vault backend: whether it is unlocked in this process. */
  unlocked: z.boolean(),
  vaultExists: z.boolean(),
  /** Why the OS keychain could not be used, when it could not. */
  keychainError: z.string().nullable(),
});
export type SecretStatus = z.infer<typeof SecretStatus>;

const Passphrase = z.string().min(8, 'expected at least 8 characters').max(1024);

export const SecretRef = z.object({ ref: Id, label: z.string(), kind: z.string(), createdAt: z.number() });
export type SecretRef = z.infer<typeof SecretRef>;

export const secrets = {
  status: base.output(SecretStatus),
  createVault: base
    .meta({ mutating: true, secretFields: ['passphrase'] })
    .input(z.object({ passphrase: Passphrase }).strict())
    .output(SecretStatus),
  unlockVault: base
    .meta({ mutating: true, secretFields: ['passphrase'] })
    .input(z.object({ passphrase: z.string().min(1).max(1024) }).strict())
    .output(SecretStatus),
  /** Stores a secret (API key, token…) and returns only its reference. */
  store: base
    .meta({ mutating: true, secretFields: ['value'] })
    .input(z.object({ label: z.string().min(1).max(200), kind: z.enum(['api-key', 'token', 'password', 'passphrase', 'private-key', 'other']), value: z.string().min(1).max(65536) }).strict())
    .output(SecretRef),
  list: base.output(z.array(SecretRef)),
  remove: base.meta({ mutating: true }).input(z.object({ ref: Id }).strict()).output(z.object({ removed: z.boolean() })),
};
