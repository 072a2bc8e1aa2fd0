import { z } from 'zod';
import { base, Id } from './base.ts';

/** Where a target's age private key is kept on this computer, and its public recipient. */
export const BackupKeyInfo = z.object({
  targetId: z.string(),
  recipient: z.string(),
  backend: z.enum(['keychain', 'vault']),
  service: z.string(),
  account: z.string(),
  label: z.string().nullable(),
  /** The place in words, for the Backups page. */
  where: z.string(),
});
export type BackupKeyInfo = z.infer<typeof BackupKeyInfo>;

/** A key file read before installing it: its recipient beside the one the target uses now. */
export const KeyPreview = z.object({ targetId: z.string(), current: z.string(), recipient: z.string(), recipients: z.array(z.string()), same: z.boolean(), alreadyKnown: z.boolean() });
export type KeyPreview = z.infer<typeof KeyPreview>;

const KeyFileInput = z
  .object({
    id: Id,
    /** An exported key file (armored age, encrypted under a passphrase) or the recovery text. */
    content: z.string().trim().min(1, 'expected the key file or the recovery text').max(100_000),
    passphrase: z.string().max(1024).optional(),
  })
  .strict();

/** A job folder in a target that no job here writes (made on another computer); `adopt` in createJob continues it. */
export const ForeignJob = z.object({ jobId: z.string(), backups: z.number().int(), latestKey: z.string(), kind: z.string(), latestAt: z.number() });
export type ForeignJob = z.infer<typeof ForeignJob>;

/** The age key of a backup target beyond this computer: where it is, export, import (part of `backups`). */
export const backupKeys = {
  /** Backups in this target made by jobs of another computer (job folders with manifests that no job here writes). */
  foreignJobs: base.input(z.object({ id: Id }).strict()).output(z.array(ForeignJob)),
  keyInfo: base.input(z.object({ id: Id }).strict()).output(BackupKeyInfo),
  /** The key as an age file encrypted under a passphrase (`age -d` opens it too). */
  exportKey: base
    .meta({ mutating: true, secretFields: ['passphrase'] })
    .input(z.object({ id: Id, passphrase: z.string().min(10, 'expected at least 10 characters').max(1024) }).strict())
    .output(z.object({ fileName: z.string(), content: z.string(), recipient: z.string() })),
  /** The key as printable text (age-keygen's format) with how to restore without OpenPanel. */
  recoveryText: base.meta({ mutating: true }).input(z.object({ id: Id }).strict()).output(z.object({ text: z.string(), recipient: z.string() })),
  previewKey: base.meta({ secretFields: ['passphrase', 'content'] }).input(KeyFileInput).output(KeyPreview),
  /** Installs a key; a different key than the target's is replaced only when `replace` echoes the current recipient. */
  importKey: base
    .meta({ mutating: true, secretFields: ['passphrase', 'content'] })
    .input(KeyFileInput.extend({ replace: z.string().max(200).optional() }).strict())
    .output(z.object({ recipient: z.string(), replaced: z.string().nullable(), changed: z.boolean() })),
};
