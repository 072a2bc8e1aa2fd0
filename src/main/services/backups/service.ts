import { randomUUID } from 'node:crypto';
import { generateX25519Identity, identityToRecipient } from 'age-encryption';
import type { z } from 'zod';
import type { BackupJob, BackupObject, BackupSource, BackupTarget, CreateJobInput, CreateTargetInput, JobStatus, RestoreTarget, RunProgress, TargetTest, TestTargetInput, UpdateTargetInput, Verification } from '../../../shared/contract/backups.ts';
import { AppError, errorMessage } from '../core/errors.ts';
import type { Db } from '../db/index.ts';
import type { DockerService } from '../docker/service.ts';
import type { SecretsService } from '../secrets/service.ts';
import type { DatabasesService } from '../databases/service.ts';
import type { ConnectionPool } from '../ssh/pool.ts';
import { foreignJobs } from './elsewhere.ts';
import { BackupKeys } from './keys.ts';
import { BackupNotices } from './notices.ts';
import { BackupReader, targetView } from './reader.ts';
import { runRestore, runVerify, type RestoreContext } from './restore-ops.ts';
import { runNow } from './runs.ts';
import { BackupScheduler, TOOLS_IMAGE, type SchedulerJob } from './scheduler.ts';
import { probeTarget } from './s3-probe.ts';
import { BackupStore, type JobRecord } from './store.ts';
import { refuseUntested, TargetOps } from './targets.ts';

export interface BackupsDeps {
  db: Db;
  docker: DockerService;
  secrets: SecretsService;
  databases: DatabasesService;
  /** When given, failed runs are looked for on every server as it (re)connects (see notices.ts). */
  pool?: ConnectionPool;
}

/** While a server stays connected, its run history is read again this often (failures of scheduled runs). */
const RECHECK_MS = 5 * 60_000;

const newId = (prefix: string) => `${prefix}_${randomUUID().replaceAll('-', '').slice(0, 16)}`;

/** Backup targets and jobs (definitions here; runs on the server), and the app-side list/restore/verify. */
export class BackupsService {
  private readonly deps: BackupsDeps;
  private readonly store: BackupStore;
  readonly notices: BackupNotices;
  /** The age keys: where they are, export, import. */
  readonly keys: BackupKeys;
  private readonly reader: BackupReader;
  private readonly restoreContext: RestoreContext;
  private readonly targetOps: TargetOps;
  private readonly checking = new Map<string, Promise<unknown>>();
  /** The last sync of each server: syncs of one server run one after the other (prune must see every job). */
  private readonly syncing = new Map<string, Promise<void>>();
  /** Servers synced since the app started (the scheduler, script and schedule metrics of this version). */
  private readonly synced = new Set<string>();
  private timer: NodeJS.Timeout | null = null;
  private readonly onState = (serverId: string, s: { state: string }) => {
    if (s.state !== 'ready') return;
    void this.checkFailures(serverId).catch(() => {});
    // Once per app start: the server gets this version's script, the metrics volume and the schedule metrics.
    if (!this.synced.has(serverId) && this.store.jobs(serverId).length > 0) void this.sync(serverId).catch(() => {});
  };

  constructor(deps: BackupsDeps) {
    this.deps = deps;
    this.store = new BackupStore(deps.db);
    this.notices = new BackupNotices(deps.db);
    this.reader = new BackupReader({ store: this.store, secrets: deps.secrets });
    this.keys = new BackupKeys({ store: this.store, secrets: deps.secrets, resync: (targetId) => this.resyncTarget(targetId) });
    this.restoreContext = {
      client: (serverId) => deps.docker.client(serverId),
      databases: deps.databases,
      job: (jobId) => this.store.job(jobId),
      open: (jobId, key) => this.reader.open(jobId, key),
    };
    this.targetOps = new TargetOps({ store: this.store, secrets: deps.secrets, sync: (serverId) => this.sync(serverId), label: (job) => this.label(job.source) });
  }

  /** Begins looking for failed runs: on every server as it (re)connects, and again every few minutes while it stays. */
  start(): void {
    const pool = this.deps.pool;
    if (!pool || this.timer) return;
    pool.on('state', this.onState);
    this.timer = setInterval(() => {
      for (const serverId of new Set(this.store.jobs().map((j) => j.serverId))) if (pool.state(serverId).state === 'ready') void this.checkFailures(serverId).catch(() => {});
    }, RECHECK_MS);
    this.timer.unref();
  }

  close(): void {
    this.deps.pool?.off('state', this.onState);
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** Reads a server's run history and raises notices for failed runs not noticed yet (one check per server at a time). */
  checkFailures(serverId: string): Promise<unknown> {
    const running = this.checking.get(serverId);
    if (running) return running;
    const p = (async () => {
      const jobs = this.jobs(serverId);
      if (jobs.length === 0) return [];
      const runs = await (await this.scheduler(serverId)).histories();
      return this.notices.consider(serverId, jobs, runs);
    })().finally(() => this.checking.delete(serverId));
    this.checking.set(serverId, p);
    return p;
  }

  targets(): BackupTarget[] {
    return this.store.targets().map(targetView);
  }

  async createTarget(input: z.output<typeof CreateTargetInput>): Promise<BackupTarget> {
    if (input.test) refuseUntested(await probeTarget({ ...input, endpoint: input.endpoint.replace(/\/+$/, '') }, input));
    const identity = await generateX25519Identity();
    const recipient = await identityToRecipient(identity);
    const secrets = this.deps.secrets;
    const ak = await secrets.put(`backup target ${input.name}: access key id`, 's3-access-key', input.accessKeyId);
    const sk = await secrets.put(`backup target ${input.name}: secret access key`, 's3-secret-key', input.secretAccessKey);
    const ik = await secrets.put(`backup target ${input.name}: age private key`, 'age-identity', identity);
    const row = {
      id: newId('tgt'),
      name: input.name,
      endpoint: input.endpoint.replace(/\/+$/, ''),
      region: input.region,
      bucket: input.bucket,
      prefix: input.prefix,
      pathStyle: input.pathStyle,
      accessKeyRef: ak.ref,
      secretKeyRef: sk.ref,
      recipient,
      identityRef: ik.ref,
      createdAt: Date.now(),
    };
    this.store.insertTarget(row);
    return targetView(row);
  }

  async updateTarget(input: z.output<typeof UpdateTargetInput>): Promise<BackupTarget> {
    return targetView(await this.targetOps.update(input));
  }

  testTarget(input: z.output<typeof TestTargetInput>): Promise<TargetTest> {
    return this.targetOps.test(input);
  }

  /** Refused while jobs use the target (naming them), unless `removeJobs`: those jobs are removed with it. */
  async removeTarget(targetId: string, removeJobs = false): Promise<{ removed: boolean; removedJobs: string[] }> {
    const r = this.store.target(targetId);
    const removedJobs = await this.targetOps.removeJobsOf(targetId, removeJobs);
    for (const ref of [r.accessKeyRef, r.secretKeyRef, r.identityRef]) await this.deps.secrets.remove(ref);
    this.store.deleteTarget(targetId);
    return { removed: true, removedJobs };
  }

  foreignJobs(targetId: string) {
    return foreignJobs({ reader: this.reader, store: this.store }, targetId);
  }

  private async resyncTarget(targetId: string): Promise<void> {
    for (const serverId of new Set(this.store.jobs().filter((j) => j.targetId === targetId).map((j) => j.serverId))) await this.sync(serverId);
  }

  async revealKey(targetId: string): Promise<string> {
    return this.deps.secrets.require(this.store.target(targetId).identityRef, 'the age private key');
  }

  private label(source: BackupSource): string {
    if (source.kind === 'volume') return `volume ${source.volume}`;
    try {
      return this.deps.databases.row(source.databaseId).name;
    } catch {
      return `database ${source.databaseId} (removed)`;
    }
  }

  private jobView(r: JobRecord): BackupJob {
    return { id: r.id, serverId: r.serverId, source: r.source, label: this.label(r.source), targetId: r.targetId, schedule: r.schedule, keepLast: r.keepLast, keepDays: r.keepDays, enabled: r.enabled, createdAt: r.createdAt };
  }

  jobs(serverId?: string): BackupJob[] {
    return this.store.jobs(serverId).map((r) => this.jobView(r));
  }

  async createJob(input: z.output<typeof CreateJobInput>): Promise<BackupJob> {
    this.store.target(input.targetId);
    if (input.source.kind === 'database' && this.deps.databases.row(input.source.databaseId).serverId !== input.serverId) {
      throw new AppError('INPUT_INVALID', 'source.databaseId: the database is on another server');
    }
    if (input.adopt && this.store.jobs().some((j) => j.id === input.adopt)) throw new AppError('CONFLICT', `adopt: a job ${input.adopt} already exists here`);
    const job: JobRecord = {
      id: input.adopt ?? newId('job'),
      serverId: input.serverId,
      source: input.source,
      targetId: input.targetId,
      schedule: input.schedule,
      keepLast: input.retention.keepLast,
      keepDays: input.retention.keepDays,
      enabled: input.enabled,
      createdAt: Date.now(),
    };
    this.store.insertJob(job);
    try {
      await this.sync(input.serverId);
    } catch (e) {
      this.store.deleteJob(job.id);
      throw e;
    }
    return this.jobView(job);
  }

  async updateJob(jobId: string, patch: { schedule?: string | undefined; retention?: { keepLast: number | null; keepDays: number | null } | undefined; enabled?: boolean | undefined; targetId?: string | undefined }): Promise<BackupJob> {
    const r = this.store.job(jobId);
    if (patch.targetId !== undefined) this.store.target(patch.targetId);
    this.store.updateJob(jobId, {
      ...(patch.targetId !== undefined ? { targetId: patch.targetId } : {}),
      ...(patch.schedule !== undefined ? { schedule: patch.schedule } : {}),
      ...(patch.retention ? { keepLast: patch.retention.keepLast, keepDays: patch.retention.keepDays } : {}),
      ...(patch.enabled !== undefined ? { enabled: patch.enabled } : {}),
    });
    await this.sync(r.serverId);
    return this.jobView(this.store.job(jobId));
  }

  async removeJob(jobId: string): Promise<boolean> {
    const r = this.store.job(jobId);
    this.store.deleteJob(jobId);
    await this.sync(r.serverId);
    return true;
  }

  async scheduler(serverId: string): Promise<BackupScheduler> {
    return new BackupScheduler(await this.deps.docker.client(serverId), this.deps.databases.resolve(serverId, TOOLS_IMAGE));
  }

  /** Writes every job of a server (values incl. credentials) to its scheduler; after the server's sync going on, if any. */
  sync(serverId: string): Promise<void> {
    const next = (this.syncing.get(serverId) ?? Promise.resolve()).catch(() => {}).then(() => this.syncNow(serverId));
    this.syncing.set(serverId, next);
    void next.finally(() => {
      if (this.syncing.get(serverId) === next) this.syncing.delete(serverId);
    }).catch(() => {});
    return next;
  }

  private async syncNow(serverId: string): Promise<void> {
    const jobs: SchedulerJob[] = [];
    for (const r of this.store.jobs(serverId)) {
      const values = await this.jobValues(r);
      if (values) jobs.push({ id: r.id, schedule: r.schedule, enabled: r.enabled, values, volume: r.source.kind === 'volume' ? r.source.volume : null });
    }
    await (await this.scheduler(serverId)).sync(jobs);
    this.synced.add(serverId);
  }

  /** The OP job file of a job (backup.sh reads it with `get KEY`); null when its database was removed. */
  private async jobValues(r: JobRecord): Promise<Record<string, string> | null> {
    const t = this.store.target(r.targetId);
    const secrets = this.deps.secrets;
    const values: Record<string, string> = {
      ENDPOINT: t.endpoint,
      REGION: t.region,
      BUCKET: t.bucket,
      PREFIX: t.prefix,
      PATH_STYLE: t.pathStyle ? 'true' : 'false',
      ACCESS_KEY: await secrets.require(t.accessKeyRef, 'the S3 access key id'),
      SECRET_KEY: await secrets.require(t.secretKeyRef, 'the S3 secret access key'),
      RECIPIENT: t.recipient,
      KEEP_LAST: r.keepLast === null ? '' : String(r.keepLast),
      KEEP_DAYS: r.keepDays === null ? '' : String(r.keepDays),
    };
    if (r.source.kind === 'volume') return { ...values, KIND: 'volume', VOLUME: r.source.volume, JOB_NAME: this.label(r.source), DATABASE: '' };
    // A job whose database was removed keeps its backups (listed, restorable) but has nothing left to run.
    const db = this.databaseRow(r.source.databaseId);
    if (!db) return null;
    // KIND is the engine: postgres, mariadb, mysql, redis or mongo (backup.sh has one dump per kind).
    return { ...values, KIND: db.engine, JOB_NAME: db.name, DATABASE: db.database, DB_HOST: '127.0.0.1', DB_PORT: String(db.hostPort), DB_USER: db.username, DB_PASSWORD: await this.deps.databases.password(db), DB_NAME: db.database };
  }

  private databaseRow(databaseId: string) {
    try {
      return this.deps.databases.row(databaseId);
    } catch (e) {
      if (e instanceof AppError && e.code === 'NOT_FOUND') return null;
      throw e;
    }
  }

  /** The backup jobs of a managed database. */
  jobsOfDatabase(databaseId: string): BackupJob[] {
    return this.jobs().filter((j) => j.source.kind === 'database' && j.source.databaseId === databaseId);
  }

  /**
   * The final backup before a database is removed: every job of the database runs now (as "back up now"), in turn.
   * Throws unless each one uploaded its backup and manifest; returns the new keys.
   */
  async finalBackup(databaseId: string, signal: AbortSignal = new AbortController().signal): Promise<string[]> {
    const db = this.deps.databases.row(databaseId);
    const jobs = this.jobsOfDatabase(databaseId);
    if (jobs.length === 0) throw new AppError('CONFLICT', `finalBackup: no backup job backs up ${db.name}; create one (Backups) or remove it without a final backup`);
    const keys: string[] = [];
    for (const job of jobs) {
      let last: RunProgress | null = null;
      for await (const p of this.runNow(job.id, signal)) last = p;
      if (last?.phase !== 'done' || !last.key) {
        throw new AppError('REMOTE_COMMAND_FAILED', `finalBackup: the final backup of ${db.name} (job ${job.id}) failed, so nothing was removed: ${last?.error ?? 'no result'}`);
      }
      keys.push(last.key);
    }
    return keys;
  }

  /** After a database is removed: its jobs are disabled (they keep their backups) and the server's scheduler is rewritten. */
  async databaseRemoved(serverId: string, databaseId: string): Promise<void> {
    for (const job of this.jobsOfDatabase(databaseId)) this.store.updateJob(job.id, { enabled: false });
    if (this.jobs(serverId).length > 0) await this.sync(serverId);
  }

  async status(serverId: string): Promise<JobStatus[]> {
    const jobs = this.jobs(serverId);
    if (jobs.length === 0) return [];
    const found = await (await this.scheduler(serverId)).statuses();
    return jobs.map((j) => found.find((s) => s.jobId === j.id) ?? { jobId: j.id, state: 'never', startedAt: null, finishedAt: null, key: null, size: null, error: null });
  }

  async failures(): Promise<(JobStatus & { serverId: string; label: string })[]> {
    const servers = [...new Set(this.jobs().map((j) => j.serverId))];
    const out: (JobStatus & { serverId: string; label: string })[] = [];
    for (const serverId of servers) {
      const labels = new Map(this.jobs(serverId).map((j) => [j.id, j.label]));
      try {
        for (const s of await this.status(serverId)) if (s.state === 'failed') out.push({ ...s, serverId, label: labels.get(s.jobId) ?? s.jobId });
      } catch (e) {
        out.push({ jobId: '', state: 'failed', startedAt: null, finishedAt: null, key: null, size: null, error: `cannot read backup status: ${errorMessage(e)}`, serverId, label: 'server' });
      }
    }
    return out;
  }

  async *runNow(jobId: string, signal: AbortSignal): AsyncGenerator<RunProgress> {
    const job = this.store.job(jobId);
    yield* runNow(await this.deps.docker.client(job.serverId), this.notices, jobId, signal);
  }

  list(jobId: string): Promise<BackupObject[]> {
    return this.reader.list(jobId);
  }

  remove(jobId: string, key: string): Promise<boolean> {
    return this.reader.remove(jobId, key);
  }

  download(jobId: string, key: string, path: string): Promise<{ path: string; bytes: number }> {
    return this.reader.download(jobId, key, path);
  }

  restore(jobId: string, key: string, target: z.output<typeof RestoreTarget>) {
    return runRestore(this.restoreContext, { jobId, key }, target);
  }

  async verify(jobId: string, key: string): Promise<Verification> {
    const v = await runVerify(this.restoreContext, { jobId, key });
    this.store.saveVerification(jobId, key, v);
    return v;
  }
}
