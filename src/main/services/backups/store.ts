import { eq } from 'drizzle-orm';
import type { z } from 'zod';
import { BackupSource, Verification } from '../../../shared/contract/backups.ts';
import { AppError, errorMessage } from '../core/errors.ts';
import type { Db } from '../db/index.ts';
import { backupJobs, backupTargets, backupVerifications } from '../db/schema.ts';

export type TargetRow = typeof backupTargets.$inferSelect;
type JobRow = typeof backupJobs.$inferSelect;
/** A job row with its JSON column read. */
export type JobRecord = Omit<JobRow, 'source'> & { source: BackupSource };

/**
 * The one reader of JSON columns: the stored value (JSON text, or what drizzle's json mode already parsed) checked
 * against the contract's schema; INTERNAL naming the column when it is unreadable or not of that shape.
 */
export function readJson<S extends z.ZodType>(schema: S, stored: unknown, what: string): z.output<S> {
  let value = stored;
  if (typeof stored === 'string') {
    try {
      value = JSON.parse(stored);
    } catch (e) {
      throw new AppError('INTERNAL', `${what}: the stored JSON is unreadable (${errorMessage(e)})`);
    }
  }
  const r = schema.safeParse(value);
  if (!r.success) throw new AppError('INTERNAL', `${what}: the stored value is not as expected: ${r.error.issues.map((i) => `${i.path.join('.') || '(root)'} ${i.message}`).join('; ')}`);
  return r.data;
}

const toRecord = (r: JobRow): JobRecord => ({ ...r, source: readJson(BackupSource, r.source, `backup job ${r.id} source`) });

/** SQLite access for backup targets, jobs and verification results. */
export class BackupStore {
  private readonly db: Db;

  constructor(db: Db) {
    this.db = db;
  }

  targets(): TargetRow[] {
    return this.db.select().from(backupTargets).all();
  }

  target(id: string): TargetRow {
    const r = this.db.select().from(backupTargets).where(eq(backupTargets.id, id)).get();
    if (!r) throw new AppError('NOT_FOUND', `targetId: no backup target ${id}`);
    return r;
  }

  insertTarget(row: TargetRow): void {
    this.db.insert(backupTargets).values(row).run();
  }

  deleteTarget(id: string): void {
    this.db.delete(backupTargets).where(eq(backupTargets.id, id)).run();
  }

  targetInUse(id: string): boolean {
    return this.db.select({ id: backupJobs.id }).from(backupJobs).where(eq(backupJobs.targetId, id)).all().length > 0;
  }

  updateTarget(id: string, set: Partial<Omit<TargetRow, 'id' | 'createdAt' | 'recipient' | 'identityRef'>>): void {
    if (Object.keys(set).length === 0) return;
    this.db.update(backupTargets).set(set).where(eq(backupTargets.id, id)).run();
  }

  setRecipient(id: string, recipient: string): void {
    this.db.update(backupTargets).set({ recipient }).where(eq(backupTargets.id, id)).run();
  }

  jobsOfTarget(id: string): JobRecord[] {
    return this.db.select().from(backupJobs).where(eq(backupJobs.targetId, id)).all().map(toRecord);
  }

  job(id: string): JobRecord {
    const r = this.db.select().from(backupJobs).where(eq(backupJobs.id, id)).get();
    if (!r) throw new AppError('NOT_FOUND', `jobId: no backup job ${id}`);
    return toRecord(r);
  }

  jobs(serverId?: string): JobRecord[] {
    const q = this.db.select().from(backupJobs);
    return (serverId ? q.where(eq(backupJobs.serverId, serverId)) : q).all().map(toRecord);
  }

  insertJob(job: JobRecord): void {
    this.db
      .insert(backupJobs)
      .values({ ...job, source: JSON.stringify(BackupSource.parse(job.source)) })
      .run();
  }

  updateJob(id: string, set: Partial<Pick<JobRow, 'schedule' | 'keepLast' | 'keepDays' | 'enabled' | 'targetId'>>): void {
    if (Object.keys(set).length === 0) return;
    this.db.update(backupJobs).set(set).where(eq(backupJobs.id, id)).run();
  }

  deleteJob(id: string): void {
    this.db.delete(backupJobs).where(eq(backupJobs.id, id)).run();
  }

  /** Verification results of a job's backups, by object key. */
  verifications(jobId: string): Map<string, Verification> {
    const rows = this.db.select().from(backupVerifications).where(eq(backupVerifications.jobId, jobId)).all();
    return new Map(rows.map((v) => [v.objectKey, readJson(Verification, v.result, `verification of ${v.objectKey}`)]));
  }

  saveVerification(jobId: string, key: string, v: Verification): void {
    const value = JSON.stringify(v);
    this.db
      .insert(backupVerifications)
      .values({ jobId, objectKey: key, result: value, at: v.at })
      .onConflictDoUpdate({ target: [backupVerifications.jobId, backupVerifications.objectKey], set: { result: value, at: v.at } })
      .run();
  }
}
