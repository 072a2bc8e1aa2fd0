import { asc, eq } from 'drizzle-orm';
import { z } from 'zod';
import { NodeRole } from '../../../shared/contract/cluster.ts';
import { AppError } from '../core/errors.ts';
import type { Db } from '../db/index.ts';
import { clusterMembers, clusters } from '../db/schema.ts';

/** A join or removal that started and did not finish (the app or the link may have gone away midway). */
export const Pending = z.object({ op: z.enum(['join', 'remove']), role: NodeRole, error: z.string().nullable(), at: z.number() });
export type Pending = z.infer<typeof Pending>;

export type ClusterRow = typeof clusters.$inferSelect;
export type MemberRow = Omit<typeof clusterMembers.$inferSelect, 'pending'> & { pending: Pending | null };

function readPending(value: unknown): Pending | null {
  if (value === null || value === undefined) return null;
  const parsed = Pending.safeParse(value);
  // An unreadable record still means something was left unfinished: treat it as a join to finish or undo.
  return parsed.success ? parsed.data : { op: 'join', role: 'worker', error: 'unreadable record of an unfinished operation', at: 0 };
}

/** The clusters' rows. Join tokens never come here. */
export class ClusterStore {
  private readonly db: Db;

  constructor(db: Db) {
    this.db = db;
  }

  list(): ClusterRow[] {
    return this.db.select().from(clusters).orderBy(asc(clusters.name)).all();
  }

  get(id: string): ClusterRow {
    const row = this.db.select().from(clusters).where(eq(clusters.id, id)).get();
    if (!row) throw new AppError('NOT_FOUND', `clusterId: no cluster ${id}`);
    return row;
  }

  byName(name: string): ClusterRow | undefined {
    return this.db.select().from(clusters).where(eq(clusters.name, name)).get();
  }

  members(clusterId: string): MemberRow[] {
    return this.db
      .select()
      .from(clusterMembers)
      .where(eq(clusterMembers.clusterId, clusterId))
      .orderBy(asc(clusterMembers.position))
      .all()
      .map((m) => ({ ...m, pending: readPending(m.pending) }));
  }

  memberOfServer(serverId: string): MemberRow | undefined {
    const row = this.db.select().from(clusterMembers).where(eq(clusterMembers.serverId, serverId)).get();
    return row ? { ...row, pending: readPending(row.pending) } : undefined;
  }

  insertCluster(row: ClusterRow): void {
    this.db.insert(clusters).values(row).run();
  }

  setSwarmId(id: string, swarmId: string): void {
    this.db.update(clusters).set({ swarmId }).where(eq(clusters.id, id)).run();
  }

  deleteCluster(id: string): void {
    this.db.delete(clusters).where(eq(clusters.id, id)).run();
  }

  insertMember(member: Omit<MemberRow, 'position' | 'updatedAt'>): void {
    const position = this.members(member.clusterId).reduce((max, m) => Math.max(max, m.position + 1), 0);
    this.db.insert(clusterMembers).values({ ...member, position, updatedAt: Date.now() }).run();
  }

  updateMember(serverId: string, patch: Partial<Pick<MemberRow, 'role' | 'nodeId' | 'pending' | 'advertiseAddr'>>): void {
    this.db.update(clusterMembers).set({ ...patch, updatedAt: Date.now() }).where(eq(clusterMembers.serverId, serverId)).run();
  }

  deleteMember(serverId: string): void {
    this.db.delete(clusterMembers).where(eq(clusterMembers.serverId, serverId)).run();
  }
}
