import { EventEmitter } from 'node:events';
import { and, desc, like, lt, type SQL } from 'drizzle-orm';
import type { AuditEntry } from '../../../shared/contract/activity.ts';
import { eventQueue, type AsyncQueue } from '../core/async.ts';
import type { Db } from '../db/index.ts';
import { auditLog } from '../db/schema.ts';

export type NewAuditEntry = Omit<AuditEntry, 'id'>;

/** The audit log: append-only record of mutating calls, readable and watchable through the API. */
export class AuditService {
  private readonly events = new EventEmitter();
  private readonly db: Db;

  constructor(db: Db) {
    this.db = db;
    this.events.setMaxListeners(0);
  }

  record(entry: NewAuditEntry): AuditEntry {
    const row = this.db.insert(auditLog).values(entry).returning().get();
    const saved = row as AuditEntry;
    this.events.emit('entry', saved);
    return saved;
  }

  list(opts: { limit: number; beforeId?: number | undefined; action?: string | undefined }): AuditEntry[] {
    const where: SQL[] = [];
    if (opts.beforeId !== undefined) where.push(lt(auditLog.id, opts.beforeId));
    if (opts.action) where.push(like(auditLog.action, `${opts.action.replace(/[%_\\]/g, '\\$&')}%`));
    return this.db
      .select()
      .from(auditLog)
      .where(where.length ? and(...where) : undefined)
      .orderBy(desc(auditLog.id))
      .limit(opts.limit)
      .all() as AuditEntry[];
  }

  /** Every entry recorded from now on, until `signal` aborts or the reader stops. */
  watch(signal?: AbortSignal): AsyncQueue<AuditEntry> {
    return eventQueue<AuditEntry>(this.events, 'entry', { signal, what: 'activity.watch' });
  }
}
