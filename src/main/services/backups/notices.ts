import { EventEmitter } from 'node:events';
import { eq } from 'drizzle-orm';
import { z } from 'zod';
import type { BackupNotice } from '../../../shared/contract/backups.ts';
import type { Db } from '../db/index.ts';
import { settings as settingsTable } from '../db/schema.ts';

/** One run as the job recorded it in `/openpanel/status/<job>.history` on the server. */
export interface RunRecord {
  jobId: string;
  state: 'ok' | 'failed';
  startedAt: number;
  finishedAt: number;
  error: string | null;
}

const KEY = 'backups.noticed';
/** job id → finishedAt of the newest run seen. */
const SeenRuns = z.record(z.string(), z.number());
const MAX_PENDING = 100;

/**
 * Failed backup runs become notices once: when a server (re)connects, its run history is read and every job with
 * failed runs finished after the last one noticed gives one notice (how many failed, the last error, whether a
 * later run succeeded). What was noticed is remembered per job in SQLite (settings row `backups.noticed`: job →
 * finishedAt of the newest run seen), so a restart of the app does not repeat them. Notices raised while no one
 * listens are kept (bounded) for the next subscriber.
 */
export class BackupNotices extends EventEmitter<{ notice: [BackupNotice] }> {
  private readonly db: Db;
  private pending: BackupNotice[] = [];

  constructor(db: Db) {
    super();
    this.db = db;
  }

  private seen(): Record<string, number> {
    try {
      const row = this.db.select().from(settingsTable).where(eq(settingsTable.key, KEY)).get();
      const parsed = row ? SeenRuns.safeParse(row.value) : null;
      return parsed?.success ? parsed.data : {};
    } catch {
      return {};
    }
  }

  private save(seen: Record<string, number>): void {
    const value = seen;
    this.db.insert(settingsTable).values({ key: KEY, value, updatedAt: Date.now() }).onConflictDoUpdate({ target: settingsTable.key, set: { value, updatedAt: Date.now() } }).run();
  }

  /** Marks every run of a job up to `finishedAt` as seen (a "back up now" the user watched needs no notice). */
  markSeen(jobId: string, finishedAt: number): void {
    const seen = this.seen();
    if ((seen[jobId] ?? 0) >= finishedAt) return;
    seen[jobId] = finishedAt;
    this.save(seen);
  }

  /** Turns the runs read from a server into notices for the runs not seen yet; returns (and emits) them. */
  consider(serverId: string, jobs: { id: string; label: string }[], runs: RunRecord[]): BackupNotice[] {
    const seen = this.seen();
    const out: BackupNotice[] = [];
    let changed = false;
    for (const job of jobs) {
      const fresh = runs.filter((r) => r.jobId === job.id && r.finishedAt > (seen[job.id] ?? 0)).sort((a, b) => a.finishedAt - b.finishedAt);
      if (fresh.length === 0) continue;
      seen[job.id] = fresh.at(-1)!.finishedAt;
      changed = true;
      const failed = fresh.filter((r) => r.state === 'failed');
      if (failed.length === 0) continue;
      const last = failed.at(-1)!;
      out.push({
        id: `${job.id}/${last.finishedAt}`,
        serverId,
        jobId: job.id,
        label: job.label,
        failedRuns: failed.length,
        lastFailedAt: last.finishedAt,
        error: last.error ?? 'unknown error',
        recovered: fresh.at(-1)!.state === 'ok',
      });
    }
    if (changed) this.save(seen);
    for (const n of out) this.publish(n);
    return out;
  }

  private publish(n: BackupNotice): void {
    if (this.listenerCount('notice') > 0) this.emit('notice', n);
    else this.pending = [...this.pending, n].slice(-MAX_PENDING);
  }

  /** Notices kept for the next subscriber; taking them clears them. */
  take(): BackupNotice[] {
    const p = this.pending;
    this.pending = [];
    return p;
  }
}
