import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { eq } from 'drizzle-orm';
import { generateX25519Identity, identityToRecipient } from 'age-encryption';
import type { z } from 'zod';
import type { BackupJob, BackupObject, BackupSource, BackupTarget, CreateJobInput, CreateTargetInput, JobStatus, RestoreTarget, RunProgress, Verification } from '../../../shared/contract/backups.ts';
import { AppError, errorMessage } from '../core/errors.ts';
import type { Db } from '../db/index.ts';
import { backupJobs, backupTargets, backupVerifications } from '../db/schema.ts';
import type { DockerService } from '../docker/service.ts';
import type { SecretsService } from '../secrets/service.ts';
import type { DatabasesService } from '../databases/service.ts';
import type { ConnectionPool } from '../ssh/pool.ts';
import { BackupNotices } from './notices.ts';
import { BackupScheduler, TOOLS_IMAGE, type SchedulerJob } from './scheduler.ts';
import { S3Target } from './s3.ts';
import { decryptBackup } from './restore.ts';
import { runRestore, runVerify } from './restore-ops.ts';

type TargetRow = typeof backupTargets.$inferSelect;
type JobRow = typeof backupJobs.$inferSelect;

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

const id = (p: string) => `${p}_${randomUUID().replaceAll('-', '').slice(0, 16)}`;

/** Backup targets and jobs (definitions here; runs on the server), and the app-side list/restore/verify. */
export class BackupsService {
  readonly d: BackupsDeps;
  readonly notices: BackupNotices;
  private readonly checking = new Map<string, Promise<unknown>>();
  private timer: NodeJS.Timeout | null = null;
  private readonly onState = (serverId: string, s: { state: string }) => {
    if (s.state === 'ready') void this.checkFailures(serverId).catch(() => {});
  };

  constructor(deps: BackupsDeps) {
    this.d = deps;
    this.notices = new BackupNotices(deps.db);
    if (deps.pool) {
      const pool = deps.pool;
      pool.on('state', this.onState);
      this.timer = setInterval(() => {
        for (const serverId of new Set(this.jobs().map((j) => j.serverId))) if (pool.state(serverId).state === 'ready') void this.checkFailures(serverId).catch(() => {});
      }, RECHECK_MS);
      this.timer.unref();
    }
  }

  close(): void {
    this.d.pool?.off('state', this.onState);
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

  private targetView(r: TargetRow): BackupTarget {
    return { id: r.id, name: r.name, endpoint: r.endpoint, region: r.region, bucket: r.bucket, prefix: r.prefix, pathStyle: r.pathStyle, recipient: r.recipient, createdAt: r.createdAt };
  }

  targets(): BackupTarget[] {
    return this.d.db.select().from(backupTargets).all().map((r) => this.targetView(r));
  }

  targetRow(targetId: string): TargetRow {
    const r = this.d.db.select().from(backupTargets).where(eq(backupTargets.id, targetId)).get();
    if (!r) throw new AppError('NOT_FOUND', `targetId: no backup target ${targetId}`);
    return r;
  }

  async createTarget(input: z.output<typeof CreateTargetInput>): Promise<BackupTarget> {
    const identity = await generateX25519Identity();
    const recipient = await identityToRecipient(identity);
    const tid = id('tgt');
    const ak = await this.d.secrets.put(`backup target ${input.name}: access key id`, 's3-access-key', input.accessKeyId);
    const sk = await this.d.secrets.put(`backup target ${input.name}: secret access key`, 's3-secret-key', input.secretAccessKey);
    const ik = await this.d.secrets.put(`backup target ${input.name}: age private key`, 'age-identity', identity);
    const row: TargetRow = {
      id: tid,
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
    this.d.db.insert(backupTargets).values(row).run();
    return this.targetView(row);
  }

  async removeTarget(targetId: string): Promise<boolean> {
    const r = this.targetRow(targetId);
    if (this.d.db.select().from(backupJobs).where(eq(backupJobs.targetId, targetId)).all().length > 0) {
      throw new AppError('CONFLICT', 'id: jobs still use this target; remove them first');
    }
    for (const ref of [r.accessKeyRef, r.secretKeyRef, r.identityRef]) await this.d.secrets.remove(ref);
    this.d.db.delete(backupTargets).where(eq(backupTargets.id, targetId)).run();
    return true;
  }

  async revealKey(targetId: string): Promise<string> {
    return this.d.secrets.require(this.targetRow(targetId).identityRef, 'the age private key');
  }

  async s3(targetId: string): Promise<S3Target> {
    const r = this.targetRow(targetId);
    return new S3Target(this.targetView(r), {
      accessKeyId: await this.d.secrets.require(r.accessKeyRef, 'the S3 access key id'),
      secretAccessKey: await this.d.secrets.require(r.secretKeyRef, 'the S3 secret access key'),
    });
  }

  private label(source: BackupSource): string {
    if (source.kind === 'volume') return `volume ${source.volume}`;
    try {
      return this.d.databases.row(source.databaseId).name;
    } catch {
      return `database ${source.databaseId} (removed)`;
    }
  }

  private jobView(r: JobRow): BackupJob {
    const source = JSON.parse(r.source) as BackupSource;
    return { id: r.id, serverId: r.serverId, source, label: this.label(source), targetId: r.targetId, schedule: r.schedule, keepLast: r.keepLast, keepDays: r.keepDays, enabled: r.enabled, createdAt: r.createdAt };
  }

  jobRow(jobId: string): JobRow {
    const r = this.d.db.select().from(backupJobs).where(eq(backupJobs.id, jobId)).get();
    if (!r) throw new AppError('NOT_FOUND', `jobId: no backup job ${jobId}`);
    return r;
  }

  jobs(serverId?: string): BackupJob[] {
    const rows = serverId ? this.d.db.select().from(backupJobs).where(eq(backupJobs.serverId, serverId)).all() : this.d.db.select().from(backupJobs).all();
    return rows.map((r) => this.jobView(r));
  }

  async createJob(input: z.output<typeof CreateJobInput>): Promise<BackupJob> {
    this.targetRow(input.targetId);
    if (input.source.kind === 'database' && this.d.databases.row(input.source.databaseId).serverId !== input.serverId) {
      throw new AppError('INPUT_INVALID', 'source.databaseId: the database is on another server');
    }
    const row: JobRow = {
      id: id('job'),
      serverId: input.serverId,
      source: JSON.stringify(input.source),
      targetId: input.targetId,
      schedule: input.schedule,
      keepLast: input.retention.keepLast,
      keepDays: input.retention.keepDays,
      enabled: input.enabled,
      createdAt: Date.now(),
    };
    this.d.db.insert(backupJobs).values(row).run();
    try {
      await this.sync(input.serverId);
    } catch (e) {
      this.d.db.delete(backupJobs).where(eq(backupJobs.id, row.id)).run();
      throw e;
    }
    return this.jobView(row);
  }

  async updateJob(jobId: string, patch: { schedule?: string | undefined; retention?: { keepLast: number | null; keepDays: number | null } | undefined; enabled?: boolean | undefined }): Promise<BackupJob> {
    const r = this.jobRow(jobId);
    const set: Partial<JobRow> = {};
    if (patch.schedule !== undefined) set.schedule = patch.schedule;
    if (patch.retention) Object.assign(set, { keepLast: patch.retention.keepLast, keepDays: patch.retention.keepDays });
    if (patch.enabled !== undefined) set.enabled = patch.enabled;
    this.d.db.update(backupJobs).set(set).where(eq(backupJobs.id, jobId)).run();
    await this.sync(r.serverId);
    return this.jobView(this.jobRow(jobId));
  }

  async removeJob(jobId: string): Promise<boolean> {
    const r = this.jobRow(jobId);
    this.d.db.delete(backupJobs).where(eq(backupJobs.id, jobId)).run();
    await this.sync(r.serverId);
    return true;
  }

  async scheduler(serverId: string): Promise<BackupScheduler> {
    return new BackupScheduler(await this.d.docker.client(serverId), this.d.databases.resolve(serverId, TOOLS_IMAGE));
  }

  /** Writes every job of a server (values incl. credentials) to its scheduler. */
  async sync(serverId: string): Promise<void> {
    const jobs: SchedulerJob[] = [];
    for (const r of this.d.db.select().from(backupJobs).where(eq(backupJobs.serverId, serverId)).all()) {
      const t = this.targetRow(r.targetId);
      const source = JSON.parse(r.source) as BackupSource;
      const values: Record<string, string> = {
        ENDPOINT: t.endpoint,
        REGION: t.region,
        BUCKET: t.bucket,
        PREFIX: t.prefix,
        PATH_STYLE: t.pathStyle ? 'true' : 'false',
        ACCESS_KEY: await this.d.secrets.require(t.accessKeyRef, 'the S3 access key id'),
        SECRET_KEY: await this.d.secrets.require(t.secretKeyRef, 'the S3 secret access key'),
        RECIPIENT: t.recipient,
        KEEP_LAST: r.keepLast === null ? '' : String(r.keepLast),
        KEEP_DAYS: r.keepDays === null ? '' : String(r.keepDays),
      };
      if (source.kind === 'database') {
        // A job whose database was removed keeps its backups (listed, restorable) but has nothing left to run.
        const db = this.databaseRow(source.databaseId);
        if (!db) continue;
        // KIND is the engine: postgres, mariadb, mysql, redis or mongo (script.ts has one dump per kind).
        Object.assign(values, { KIND: db.engine, DB_HOST: '127.0.0.1', DB_PORT: String(db.hostPort), DB_USER: db.username, DB_PASSWORD: await this.d.databases.password(db), DB_NAME: db.database });
      } else {
        Object.assign(values, { KIND: 'volume', VOLUME: source.volume });
      }
      jobs.push({ id: r.id, schedule: r.schedule, enabled: r.enabled, values, volume: source.kind === 'volume' ? source.volume : null });
    }
    await (await this.scheduler(serverId)).sync(jobs);
  }

  private databaseRow(databaseId: string) {
    try {
      return this.d.databases.row(databaseId);
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
    const db = this.d.databases.row(databaseId);
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
    const ids = this.jobsOfDatabase(databaseId).map((j) => j.id);
    for (const jobId of ids) this.d.db.update(backupJobs).set({ enabled: false }).where(eq(backupJobs.id, jobId)).run();
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
    const job = this.jobRow(jobId);
    const sched = await this.scheduler(job.serverId);
    const queue: RunProgress[] = [{ phase: 'starting', bytes: 0, estimate: null, key: null, error: null }];
    let wake: (() => void) | null = null;
    let estimate: number | null = null;
    let key: string | null = null;
    let failure: string | null = null;
    const push = (p: RunProgress) => {
      queue.push(p);
      wake?.();
    };
    let buf = '';
    let finished = false;
    const run = sched
      .run(jobId, {
        signal,
        onStderr: (chunk) => {
          buf += chunk;
          const lines = buf.split('\n');
          buf = lines.pop() ?? '';
          for (const line of lines) {
            let m: RegExpExecArray | null;
            if ((m = /^estimate (\d+)/.exec(line))) estimate = Number(m[1]) || null;
            else if ((m = /^(\d+) bytes/.exec(line))) push({ phase: 'running', bytes: Number(m[1]), estimate, key, error: null });
            else if ((m = /^done (\S+) (\d+)/.exec(line))) key = m[1]!;
            else if ((m = /^backup failed: (.*)$/.exec(line))) failure = m[1]!;
          }
        },
      })
      .finally(() => {
        finished = true;
        wake?.();
      });
    for (let i = 0; i < 1_000_000 && !(finished && queue.length === 0); i++) {
      if (queue.length === 0) await new Promise<void>((r) => (wake = r));
      wake = null;
      while (queue.length) yield queue.shift()!;
    }
    const r = await run.catch((e: unknown) => ({ code: -1, stdout: '', stderr: errorMessage(e) }));
    // This run was watched: it needs no notice at the next connection.
    const mine = (await sched.statuses().catch(() => [])).find((st) => st.jobId === jobId);
    if (mine?.finishedAt && mine.state !== 'running') this.notices.markSeen(jobId, mine.finishedAt);
    if (r.code === 0 && key) yield { phase: 'done', bytes: 0, estimate, key, error: null };
    else yield { phase: 'failed', bytes: 0, estimate, key: null, error: failure ?? (r.stderr.trim().slice(-600) || `exit ${r.code}`) };
  }

  async list(jobId: string): Promise<BackupObject[]> {
    const job = this.jobRow(jobId);
    const s3 = await this.s3(job.targetId);
    try {
      const verifs = this.d.db.select().from(backupVerifications).where(eq(backupVerifications.jobId, jobId)).all();
      return (await s3.list(jobId)).map((o) => {
        const v = verifs.find((x) => x.objectKey === o.key);
        return { ...o, verification: v ? (JSON.parse(v.result) as Verification) : null };
      });
    } finally {
      s3.close();
    }
  }

  async remove(jobId: string, key: string): Promise<boolean> {
    const s3 = await this.s3(this.jobRow(jobId).targetId);
    try {
      this.checkKey(s3, jobId, key);
      await s3.remove(key);
      return true;
    } finally {
      s3.close();
    }
  }

  /**
   * A key of this job's backups, exactly as the job script names them (`<prefix>/<job>/<UTC stamp>.<ext>.gz.age`):
   * nothing else under the job's folder (manifests), and no further path segments (`../other-job/…`, which some
   * S3 servers resolve as a path).
   */
  checkKey(s3: S3Target, jobId: string, key: string): void {
    const dir = s3.dirOf(jobId);
    if (!key.startsWith(dir) || !/^\d{8}T\d{6}Z\.[a-z]+\.gz\.age$/.test(key.slice(dir.length))) {
      throw new AppError('INPUT_INVALID', `key: ${key} is not a backup of this job (expected ${dir}<timestamp>.<kind>.gz.age)`);
    }
  }

  /** Opens a backup for reading: manifest, decryption with the key from the keychain, digests checked at the end. */
  async open(jobId: string, key: string) {
    const job = this.jobRow(jobId);
    const t = this.targetRow(job.targetId);
    const s3 = await this.s3(job.targetId);
    let decrypted: Awaited<ReturnType<typeof decryptBackup>>;
    let manifest: Awaited<ReturnType<S3Target['manifest']>> | null;
    try {
      this.checkKey(s3, jobId, key);
      manifest = await s3.manifest(key).catch(() => null);
      const identity = await this.d.secrets.require(t.identityRef, 'the age private key of this target');
      decrypted = await decryptBackup(await s3.read(key), identity, manifest);
    } catch (e) {
      s3.close();
      throw e;
    }
    decrypted.done.finally(() => s3.close()).catch(() => {});
    return { job, manifest, ...decrypted };
  }

  /**
   * Decrypts a backup into a local file (the gzip of the dump, 0600). It is written next to `path` and renamed into
   * place only once decryption finished and both digests match the manifest: a corrupted backup leaves no file.
   * `bytes` is the size of the plaintext (the dump inside the gzip).
   */
  async download(jobId: string, key: string, path: string): Promise<{ path: string; bytes: number }> {
    const b = await this.open(jobId, key);
    const partial = `${path}.partial-${randomUUID().slice(0, 8)}`;
    try {
      await pipeline(b.gzip, createWriteStream(partial, { mode: 0o600, flags: 'wx' }));
      const done = await b.done;
      await rename(partial, path);
      return { path, bytes: done.bytes };
    } catch (e) {
      b.gzip.destroy();
      await rm(partial, { force: true });
      const cause = await b.done.then(
        () => null,
        (err: unknown) => err,
      );
      throw cause instanceof AppError ? cause : e;
    }
  }

  restore(jobId: string, key: string, target: z.output<typeof RestoreTarget>) {
    return runRestore(this, jobId, key, target);
  }

  async verify(jobId: string, key: string): Promise<Verification> {
    const v = await runVerify(this, jobId, key);
    const value = JSON.stringify(v);
    this.d.db
      .insert(backupVerifications)
      .values({ jobId, objectKey: key, result: value, at: v.at })
      .onConflictDoUpdate({ target: [backupVerifications.jobId, backupVerifications.objectKey], set: { result: value, at: v.at } })
      .run();
    return v;
  }
}
