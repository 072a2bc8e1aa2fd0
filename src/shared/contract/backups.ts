import { eventIterator } from '@orpc/contract';
import { z } from 'zod';
import { base, Id, Timestamp } from './base.ts';
import { backupKeys } from './backup-keys.ts';
import { JobProgress } from './jobs.ts';

/** Five cron fields (minute hour day month weekday) of digits, `*`, `,`, `-` and `/` only. */
export const CronSchedule = z
  .string()
  .trim()
  .regex(/^([0-9*,/-]+[ \t]+){4}[0-9*,/-]+$/, 'expected a cron schedule of five fields, like 0 3 * * *');

export const S3Endpoint = z
  .string()
  .trim()
  .regex(/^https?:\/\/[A-Za-z0-9.\-[\]:]+(:\d+)?\/?$/, 'expected an endpoint URL like https://s3.eu-west-1.amazonaws.com');

const Bucket = z.string().trim().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'expected a bucket name (3-63 lowercase letters, digits, . or -)');
const Prefix = z
  .string()
  .trim()
  .max(200)
  .regex(/^([A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*)?$/, 'expected a key prefix like backups/prod (no leading or trailing /)')
  // Path-style S3 URLs are normalised: a '..' segment would move the key into another bucket.
  .refine((p) => !p.includes('..') && !p.split('/').includes('.'), 'expected a key prefix without ".." or "." segments');

export const BackupTarget = z.object({
  id: z.string(),
  name: z.string(),
  endpoint: z.string(),
  region: z.string(),
  bucket: z.string(),
  prefix: z.string(),
  pathStyle: z.boolean(),
  /** The age public key backups are encrypted to; the private key stays in this computer's keychain. */
  recipient: z.string(),
  createdAt: Timestamp,
});
export type BackupTarget = z.infer<typeof BackupTarget>;

export const CreateTargetInput = z
  .object({
    name: z.string().trim().min(1, 'expected a name').max(80),
    endpoint: S3Endpoint,
    region: z.string().trim().min(1, 'expected a region like us-east-1').max(64).regex(/^[a-z0-9-]+$/, 'expected a region like us-east-1'),
    bucket: Bucket,
    prefix: Prefix.default(''),
    pathStyle: z.boolean().default(true),
    accessKeyId: z.string().min(1, 'expected an access key id').max(256),
    secretAccessKey: z.string().min(1, 'expected a secret access key').max(512),
    /** Write, read back and delete a probe object first, and refuse to save when that fails (the UI always does). */
    test: z.boolean().default(false),
  })
  .strict();

const TargetPlace = {
  endpoint: S3Endpoint,
  region: z.string().trim().min(1, 'expected a region like us-east-1').max(64).regex(/^[a-z0-9-]+$/, 'expected a region like us-east-1'),
  bucket: Bucket,
  prefix: Prefix.default(''),
  pathStyle: z.boolean().default(true),
};

/**
 * A target's settings as edited: the keys are write-only, and one left out (or empty) keeps the stored one.
 * `test`: write, read back and delete a probe object first, and refuse to save when that fails.
 */
export const UpdateTargetInput = z
  .object({
    id: Id,
    name: z.string().trim().min(1, 'expected a name').max(80),
    ...TargetPlace,
    accessKeyId: z.string().max(256).optional(),
    secretAccessKey: z.string().max(512).optional(),
    test: z.boolean().default(false),
  })
  .strict();

/** Settings to test before saving; without `id` both keys are required, with it an empty key means the stored one. */
export const TestTargetInput = z
  .object({ id: Id.optional(), ...TargetPlace, accessKeyId: z.string().max(256).optional(), secretAccessKey: z.string().max(512).optional() })
  .strict();

/** The probe's outcome: which step failed and the field most likely wrong, in words. */
export const TargetTest = z.object({
  passed: z.boolean(),
  /** The step reached: write, read, delete (all three when passed). */
  step: z.enum(['connect', 'write', 'read', 'delete']),
  /** The field most likely wrong (endpoint, region, bucket, prefix, accessKeyId, secretAccessKey), null when passed. */
  field: z.string().nullable(),
  detail: z.string(),
});
export type TargetTest = z.infer<typeof TargetTest>;

export const BackupSource = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('database'), databaseId: Id }).strict(),
  z.object({ kind: z.literal('volume'), volume: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/, 'expected a Docker volume name') }).strict(),
]);
export type BackupSource = z.infer<typeof BackupSource>;

export const Retention = z
  .object({
    keepLast: z.number().int().min(1, 'expected at least 1').max(10_000).nullable().default(null),
    keepDays: z.number().int().min(1, 'expected at least 1 day').max(36_500).nullable().default(null),
  })
  .strict();

export const BackupJob = z.object({
  id: z.string(),
  serverId: z.string(),
  source: BackupSource,
  /** What the job backs up, for display (database or volume name). */
  label: z.string(),
  targetId: z.string(),
  schedule: z.string(),
  keepLast: z.number().int().nullable(),
  keepDays: z.number().int().nullable(),
  enabled: z.boolean(),
  createdAt: Timestamp,
});
export type BackupJob = z.infer<typeof BackupJob>;

export const CreateJobInput = z
  .object({
    serverId: Id,
    source: BackupSource,
    targetId: Id,
    schedule: CronSchedule,
    retention: Retention.default({ keepLast: 7, keepDays: null }),
    enabled: z.boolean().default(true),
    /** Continue a job made on another computer: this job takes its id, so its folder in the target (and backups) are this job's. */
    adopt: z.string().regex(/^job_[0-9a-f]{16}$/, 'expected the id of a job whose backups are in the target, like job_0123456789abcdef').optional(),
  })
  .strict();

/** The last run as recorded on the server by the job itself (so runs while OpenPanel was closed show up). */
export const JobStatus = z.object({
  jobId: z.string(),
  state: z.enum(['never', 'running', 'ok', 'failed']),
  startedAt: Timestamp.nullable(),
  finishedAt: Timestamp.nullable(),
  key: z.string().nullable(),
  size: z.number().nullable(),
  error: z.string().nullable(),
});
export type JobStatus = z.infer<typeof JobStatus>;

export const BackupManifest = z.object({
  format: z.number(),
  job: z.string(),
  kind: z.string(),
  key: z.string(),
  createdAt: z.number(),
  size: z.number(),
  plainSha256: z.string(),
  objectSha256: z.string(),
  dbVersion: z.string(),
  durationMs: z.number(),
  recipient: z.string(),
  /** The compression between the dump and age: 'zstd' or 'gzip'; absent in manifests written before it was recorded (gzip). */
  codec: z.string().optional(),
});
export type BackupManifest = z.infer<typeof BackupManifest>;

export const Verification = z.object({
  passed: z.boolean(),
  detail: z.string(),
  tables: z.array(z.object({ table: z.string(), expected: z.number(), actual: z.number().nullable() })),
  at: Timestamp,
});
export type Verification = z.infer<typeof Verification>;

export const BackupObject = z.object({
  key: z.string(),
  size: z.number(),
  lastModified: Timestamp.nullable(),
  manifest: BackupManifest.nullable(),
  verification: Verification.nullable(),
});
export type BackupObject = z.infer<typeof BackupObject>;

/** A backup run ("back up now"): the job model's step/progress/error, plus the bytes dumped so far and the object's key. */
export const RunProgress = JobProgress.extend({
  phase: z.enum(['starting', 'running', 'done', 'failed']),
  bytes: z.number(),
  estimate: z.number().nullable(),
  key: z.string().nullable(),
});
export type RunProgress = z.infer<typeof RunProgress>;

export const RestoreTarget = z.discriminatedUnion('kind', [
  /**
   * Into a database of a managed PostgreSQL, MariaDB/MySQL or MongoDB: a new one by name side by side, or (PostgreSQL
   * only) the same one (replace: restored side by side, then swapped).
   */
  z.object({ kind: z.literal('database'), databaseId: Id, dbName: z.string().regex(/^[a-z][a-z0-9_]{0,62}$/, 'expected a database name like shop_restored'), replace: z.boolean().default(false) }).strict(),
  /**
   * A whole-instance backup (Redis RDB) into a managed Redis: an empty one side by side, or one with data only with
   * replace (its dataset is replaced; the source database itself only with replace).
   */
  z.object({ kind: z.literal('instance'), databaseId: Id, replace: z.boolean().default(false) }).strict(),
  z.object({ kind: z.literal('volume'), volume: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/, 'expected a Docker volume name') }).strict(),
]);

export const RestoreResult = z.object({ restoredInto: z.string(), bytes: z.number(), plainSha256: z.string(), tables: z.array(z.object({ table: z.string(), rows: z.number() })) });

/** Backup runs that failed on a server (e.g. while OpenPanel was closed), found when the app (re)connects to it. */
export const BackupNotice = z.object({
  id: z.string(),
  serverId: z.string(),
  jobId: z.string(),
  label: z.string(),
  /** Failed runs since the last notice for this job (from the server's run history). */
  failedRuns: z.number().int(),
  lastFailedAt: Timestamp,
  error: z.string(),
  /** Whether the latest run of the job succeeded after these failures. */
  recovered: z.boolean(),
});
export type BackupNotice = z.infer<typeof BackupNotice>;

const JobRef = z.object({ jobId: Id }).strict();
const ObjectRef = z.object({ jobId: Id, key: z.string().min(1, 'expected an object key').max(1024) }).strict();

export const backups = {
  targets: base.output(z.array(BackupTarget)),
  createTarget: base.meta({ mutating: true, secretFields: ['accessKeyId', 'secretAccessKey'] }).input(CreateTargetInput).output(BackupTarget),
  updateTarget: base.meta({ mutating: true, secretFields: ['accessKeyId', 'secretAccessKey'] }).input(UpdateTargetInput).output(BackupTarget),
  testTarget: base.meta({ secretFields: ['accessKeyId', 'secretAccessKey'] }).input(TestTargetInput).output(TargetTest),
  /**
   * Refused (CONFLICT, naming them) while jobs use the target, unless `removeJobs`: then those jobs are removed too
   * (their schedules leave the servers; objects already in the bucket stay there).
   */
  removeTarget: base
    .meta({ mutating: true })
    .input(z.object({ id: Id, removeJobs: z.boolean().default(false) }).strict())
    .output(z.object({ removed: z.boolean(), removedJobs: z.array(z.string()) })),
  /** The age private key, for safekeeping outside this computer (without it no backup can be restored). */
  revealKey: base.meta({ mutating: true }).input(z.object({ id: Id }).strict()).output(z.object({ identity: z.string() })),
  ...backupKeys,
  jobs: base.input(z.object({ serverId: Id.optional() }).strict()).output(z.array(BackupJob)),
  createJob: base.meta({ mutating: true }).input(CreateJobInput).output(BackupJob),
  updateJob: base
    .meta({ mutating: true })
    .input(z.object({ id: Id, schedule: CronSchedule.optional(), retention: Retention.optional(), enabled: z.boolean().optional(), targetId: Id.optional() }).strict())
    .output(BackupJob),
  removeJob: base.meta({ mutating: true }).input(z.object({ id: Id }).strict()).output(z.object({ removed: z.boolean() })),
  /** Last run of each job of a server, read from the server. */
  status: base.input(z.object({ serverId: Id }).strict()).output(z.array(JobStatus)),
  /** Failed runs on every server with jobs (shown as notifications after connecting). */
  failures: base.output(z.array(JobStatus.extend({ serverId: z.string(), label: z.string() }))),
  /**
   * Notices of failed runs, found on the servers when the app (re)connects to them: first those not yet delivered
   * to any subscriber, then new ones as servers connect. Each failed run is noticed once (remembered in SQLite).
   */
  notices: base.output(eventIterator(BackupNotice)),
  runNow: base.meta({ mutating: true }).input(JobRef).output(eventIterator(RunProgress)),
  list: base.input(JobRef).output(z.array(BackupObject)),
  remove: base.meta({ mutating: true }).input(ObjectRef).output(z.object({ removed: z.boolean() })),
  /** Decrypts a backup into a local file (gzip of the dump) on this computer. */
  /** `bytes`: the size of the plaintext dump inside the gzip. The file appears only once the digests matched the manifest. */
  download: base
    .meta({ mutating: true })
    .input(ObjectRef.extend({ path: z.string().min(1, 'expected a local path').max(4096).regex(/^(\/|[A-Za-z]:[\\/]|\\\\)/, 'expected an absolute path on this computer') }).strict())
    .output(z.object({ path: z.string(), bytes: z.number() })),
  restore: base.meta({ mutating: true }).input(ObjectRef.extend({ target: RestoreTarget }).strict()).output(RestoreResult),
  verify: base.meta({ mutating: true }).input(ObjectRef).output(Verification),
};
