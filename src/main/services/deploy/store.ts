import { and, desc, eq, inArray } from 'drizzle-orm';
import type { AppConfig, Deploy, DeployStatus, DeployStep } from '../../../shared/contract/apps.ts';
import { AppError } from '../core/errors.ts';
import type { Db } from '../db/index.ts';
import { apps, deploys } from '../db/schema.ts';

export type AppRow = typeof apps.$inferSelect;
export type DeployRow = typeof deploys.$inferSelect;
/** A new deploy row: fields added later (commitSubject) may be left out. */
export type NewDeployRow = typeof deploys.$inferInsert;
/** The stored configuration: AppConfig with the source's secrets replaced by a flag. */
export type StoredConfig = Omit<AppConfig, 'source'> & { source: { kind: 'git'; url: string; branch: string; deployKeyPublic?: string | null } | { kind: 'upload'; path: string } };

const LOG_LIMIT = 4 * 1024 * 1024;

/** SQLite access for apps and deploy jobs. */
export class DeployStore {
  private readonly db: Db;

  constructor(db: Db) {
    this.db = db;
  }

  app(id: string): AppRow {
    const row = this.db.select().from(apps).where(eq(apps.id, id)).get();
    if (!row) throw new AppError('NOT_FOUND', `id: no app with id ${id}`);
    return row;
  }

  config(row: AppRow): StoredConfig {
    return row.config;
  }

  apps(serverId?: string): AppRow[] {
    const q = this.db.select().from(apps);
    return (serverId ? q.where(eq(apps.serverId, serverId)) : q).all().sort((a, b) => a.name.localeCompare(b.name));
  }

  nameTaken(serverId: string, name: string, exceptId?: string): boolean {
    return this.db
      .select()
      .from(apps)
      .where(and(eq(apps.serverId, serverId), eq(apps.name, name)))
      .all()
      .some((r) => r.id !== exceptId);
  }

  insertApp(row: typeof apps.$inferInsert): void {
    this.db.insert(apps).values(row).run();
  }

  updateApp(id: string, set: Partial<AppRow>): void {
    this.db.update(apps).set(set).where(eq(apps.id, id)).run();
  }

  deleteApp(id: string): void {
    this.db.delete(deploys).where(eq(deploys.appId, id)).run();
    this.db.delete(apps).where(eq(apps.id, id)).run();
  }

  deploy(id: string): DeployRow {
    const row = this.db.select().from(deploys).where(eq(deploys.id, id)).get();
    if (!row) throw new AppError('NOT_FOUND', `deployId: no deploy with id ${id}`);
    return row;
  }

  hasDeploy(id: string): boolean {
    return !!this.db.select({ id: deploys.id }).from(deploys).where(eq(deploys.id, id)).get();
  }

  deploys(appId: string, limit: number): DeployRow[] {
    return this.db.select().from(deploys).where(eq(deploys.appId, appId)).orderBy(desc(deploys.createdAt)).limit(limit).all();
  }

  active(appId?: string): DeployRow[] {
    const open = inArray(deploys.status, ['queued', 'running']);
    return this.db.select().from(deploys).where(appId ? and(eq(deploys.appId, appId), open) : open).all();
  }

  insertDeploy(row: NewDeployRow): void {
    this.db.insert(deploys).values(row).run();
  }

  updateDeploy(id: string, set: Partial<DeployRow>): void {
    if (Object.keys(set).length === 0) return;
    if (set.log && set.log.length > LOG_LIMIT) set = { ...set, log: `[…]\n${set.log.slice(-LOG_LIMIT)}` };
    this.db.update(deploys).set(set).where(eq(deploys.id, id)).run();
  }
}

export function toDeploy(row: DeployRow, attached: boolean): Deploy {
  return {
    id: row.id,
    appId: row.appId,
    serverId: row.serverId,
    kind: row.kind,
    trigger: row.trigger,
    status: row.status as DeployStatus,
    step: row.step as DeployStep,
    progress: row.progress,
    image: row.image,
    commit: row.commit,
    commitSubject: row.commitSubject ?? null,
    container: row.container,
    error: row.error,
    buildSeconds: row.buildSeconds,
    createdAt: row.createdAt,
    finishedAt: row.finishedAt,
    attached,
  };
}
