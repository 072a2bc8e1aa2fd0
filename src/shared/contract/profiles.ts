import { z } from 'zod';
import { base, Id } from './base.ts';
import { Host, Port, ServerName, ServerSettings, Username } from './servers.ts';

/** The file format: versioned, validated on import. Secrets only inside `secrets`, encrypted. */
export const ProfileServer = z
  .object({
    ref: z.string().min(1).max(64),
    name: ServerName,
    host: Host,
    port: Port,
    username: Username,
    auth: z.discriminatedUnion('method', [
      z.object({ method: z.literal('key'), keyPath: z.string().max(4096).nullable() }).strict(),
      z.object({ method: z.literal('password') }).strict(),
      z.object({ method: z.literal('agent') }).strict(),
    ]),
    jumpRef: z.string().max(64).nullable(),
    settings: ServerSettings.partial(),
    hostKeys: z.array(z.object({ keyType: z.string().max(64), fingerprint: z.string().regex(/^SHA256:[A-Za-z0-9+/]{43}$/) }).strict()).max(8),
  })
  .strict();
export type ProfileServer = z.infer<typeof ProfileServer>;

export const SealedSecrets = z
  .object({
    kdf: z.object({ name: z.literal('scrypt'), N: z.number().int(), r: z.number().int(), p: z.number().int(), salt: z.string() }).strict(),
    cipher: z.literal('aes-256-gcm'),
    iv: z.string(),
    tag: z.string(),
    data: z.string(),
  })
  .strict();

/** Version 1: only the credentials are sealed; addresses and host keys are not authenticated. Still imported. */
export const ProfileFileV1 = z
  .object({
    format: z.literal('openpanel-profile'),
    version: z.literal(1),
    exportedAt: z.string().max(64),
    servers: z.array(ProfileServer).max(1000),
    secrets: SealedSecrets.nullable(),
  })
  .strict();

/** Version 2: with a passphrase, `mac` (HMAC-SHA256 of the canonical file) authenticates every record. */
export const ProfileFileV2 = ProfileFileV1.extend({
  version: z.literal(2),
  mac: z.string().max(128).nullable(),
  /** The backup targets' age keys (with a passphrase only), sealed like the credentials and covered by `mac`. */
  backupKeys: SealedSecrets.omit({ kdf: true }).strict().optional(),
}).strict();
export type ProfileFileV2 = z.infer<typeof ProfileFileV2>;

export const ProfileHostKey = z.object({ keyType: z.string().max(64), fingerprint: z.string().max(64) }).strict();

export const ImportAction = z.enum(['create', 'skip', 'overwrite']);
export const ImportPlanItem = z.object({
  ref: z.string(),
  name: z.string(),
  address: z.string(),
  existingId: z.string().nullable(),
  /** What happens unless the user chooses otherwise: create new ones, skip existing ones (never overwrite silently). */
  defaultAction: ImportAction,
  changes: z.array(z.string()).describe('fields that differ from the existing server'),
  hostKeyConflict: z.string().nullable().describe('a pinned key here differs from the profile: the local pin is kept'),
  hasSecrets: z.boolean(),
  authenticated: z.boolean().describe('the passphrase proved this record unchanged since export; its host keys are trusted as exported'),
  hostKeysToConfirm: z.array(ProfileHostKey).describe('host keys from an unauthenticated profile: pinned only if the user confirms each one'),
});
export type ImportPlanItem = z.infer<typeof ImportPlanItem>;

/** A backup target's key carried by a profile: installed on import only where the user chooses. */
export const ProfileBackupKey = z.object({
  index: z.number().int(),
  target: z.object({ name: z.string(), endpoint: z.string(), bucket: z.string(), prefix: z.string() }),
  recipient: z.string(),
  /** The local target with the same endpoint, bucket and prefix, with the key it encrypts to now. */
  match: z.object({ targetId: z.string(), name: z.string(), current: z.string() }).nullable(),
  same: z.boolean(),
});
export type ProfileBackupKey = z.infer<typeof ProfileBackupKey>;

const ProfileInput = z.object({ content: z.string().min(2).max(10_000_000), passphrase: z.string().max(1024).optional() }).strict();

export const profiles = {
  export: base
    .meta({ mutating: true, secretFields: ['passphrase'] })
    .input(z.object({ serverIds: z.array(Id).min(1, 'expected at least one server'), passphrase: z.string().min(8, 'expected at least 8 characters').max(1024).optional() }).strict())
    .output(z.object({ fileName: z.string(), content: z.string(), servers: z.number(), includesSecrets: z.boolean(), backupKeys: z.number() })),
  preview: base.meta({ secretFields: ['passphrase'] }).input(ProfileInput).output(z.array(ImportPlanItem)),
  /** The backup keys a sealed profile carries, each beside the local target it would go to. */
  previewBackupKeys: base.meta({ secretFields: ['passphrase', 'content'] }).input(ProfileInput).output(z.array(ProfileBackupKey)),
  import: base
    .meta({ mutating: true, secretFields: ['passphrase', 'content'] })
    .input(
      ProfileInput.extend({
        actions: z.record(z.string(), ImportAction).default({}),
        /** Host keys the user confirmed, each echoing the fingerprint shown in the preview. */
        confirmHostKeys: z.array(ProfileHostKey.extend({ ref: z.string().min(1).max(64) }).strict()).max(8000).default([]),
        /** Backup keys to install (by `index` from previewBackupKeys); a different key only when `replace` echoes the target's current recipient. */
        installBackupKeys: z.array(z.object({ index: z.number().int().min(0).max(1000), replace: z.string().max(200).optional() }).strict()).max(1000).default([]),
      }).strict(),
    )
    .output(
      z.object({
        created: z.array(z.string()),
        updated: z.array(z.string()),
        skipped: z.array(z.string()),
        hostKeyConflicts: z.array(z.string()),
        unconfirmedHostKeys: z.array(ProfileHostKey.extend({ name: z.string(), host: z.string(), port: z.number() })).describe('not pinned: the server asks on first connect'),
        backupKeysInstalled: z.array(z.string()).default([]),
      }),
    ),
};
