import { and, desc, eq, gte, lt } from 'drizzle-orm';
import type { HostSample } from '../../../shared/contract/fleet.ts';
import type { Db } from '../db/index.ts';
import type { ContainerStatsSource } from '../docker/containers.ts';
import { containerSamples, hostSamples } from '../db/schema.ts';

export const RETENTION_MS = 24 * 60 * 60 * 1000;
const RANGE_MS = { '1h': 3_600_000, '6h': 6 * 3_600_000, '24h': 24 * 3_600_000 } as const;
/** Points per chart at most: longer ranges are averaged into buckets. */
const MAX_POINTS = 360;

export interface ContainerSampleRow {
  containerId: string;
  name: string;
  cpuPercent: number | null;
  memUsed: number;
  memLimit: number;
}

/**
 * Metrics history in SQLite: 24 h, bounded by a prune after each round of samples. The newest stats of each
 * running container are also kept in memory, for container lists (the monitor writes them, containers read them).
 */
export class MetricsStore implements ContainerStatsSource {
  private readonly db: Db;
  private readonly latestStats = new Map<string, ContainerSampleRow>();
  private readonly latestHosts = new Map<string, HostSample | null>();
  constructor(db: Db) {
    this.db = db;
  }

  setLatest(serverId: string, row: ContainerSampleRow): void {
    this.latestStats.set(`${serverId}/${row.containerId}`, row);
  }

  latest(serverId: string, containerId: string): { cpuPercent: number | null; memUsed: number; memLimit: number } | null {
    return this.latestStats.get(`${serverId}/${containerId}`) ?? null;
  }

  addHost(serverId: string, s: HostSample): void {
    const added = this.db.insert(hostSamples).values({ serverId, ...s }).onConflictDoNothing().run().changes > 0;
    const cached = this.latestHosts.get(serverId);
    if (added && cached !== undefined && (cached === null || s.at >= cached.at)) this.latestHosts.set(serverId, s);
  }

  addContainers(serverId: string, at: number, rows: ContainerSampleRow[]): void {
    if (!rows.length) return;
    this.db.insert(containerSamples).values(rows.map((r) => ({ serverId, at, ...r }))).onConflictDoNothing().run();
  }

  prune(now = Date.now()): number {
    const cutoff = now - RETENTION_MS;
    const a = this.db.delete(hostSamples).where(lt(hostSamples.at, cutoff)).run().changes;
    const b = this.db.delete(containerSamples).where(lt(containerSamples.at, cutoff)).run().changes;
    if (a > 0) this.latestHosts.clear();
    return a + b;
  }

  /** Read once per server, then kept as samples are added (every snapshot shows it: no query per snapshot). */
  latestHost(serverId: string): HostSample | null {
    const cached = this.latestHosts.get(serverId);
    if (cached !== undefined) return cached;
    const row = this.db.select().from(hostSamples).where(eq(hostSamples.serverId, serverId)).orderBy(desc(hostSamples.at)).limit(1).get();
    const latest = row ? strip(row) : null;
    this.latestHosts.set(serverId, latest);
    return latest;
  }

  hostHistory(serverId: string, range: keyof typeof RANGE_MS, now = Date.now()): HostSample[] {
    const rows = this.db.select().from(hostSamples).where(and(eq(hostSamples.serverId, serverId), gte(hostSamples.at, now - RANGE_MS[range]))).orderBy(hostSamples.at).all();
    return bucket(rows.map(strip), RANGE_MS[range] / MAX_POINTS, (group) => ({
      at: group[group.length - 1]!.at,
      cpuPercent: avg(group.map((g) => g.cpuPercent)),
      memUsed: Math.round(avg(group.map((g) => g.memUsed)) ?? 0),
      memTotal: group[group.length - 1]!.memTotal,
      diskUsed: group[group.length - 1]!.diskUsed,
      diskTotal: group[group.length - 1]!.diskTotal,
      load1: avg(group.map((g) => g.load1)) ?? 0,
      load5: avg(group.map((g) => g.load5)) ?? 0,
      load15: avg(group.map((g) => g.load15)) ?? 0,
      uptime: group[group.length - 1]!.uptime,
    }));
  }

  containerHistory(serverId: string, range: keyof typeof RANGE_MS, now = Date.now()) {
    const rows = this.db
      .select()
      .from(containerSamples)
      .where(and(eq(containerSamples.serverId, serverId), gte(containerSamples.at, now - RANGE_MS[range])))
      .orderBy(containerSamples.at)
      .all();
    const byId = new Map<string, { containerId: string; name: string; rows: typeof rows }>();
    for (const r of rows) {
      const e = byId.get(r.containerId) ?? { containerId: r.containerId, name: r.name, rows: [] };
      e.name = r.name;
      e.rows.push(r);
      byId.set(r.containerId, e);
    }
    return [...byId.values()].map((e) => ({
      containerId: e.containerId,
      name: e.name,
      points: bucket(e.rows, RANGE_MS[range] / MAX_POINTS, (g) => ({ at: g[g.length - 1]!.at, cpuPercent: avg(g.map((x) => x.cpuPercent)), memUsed: Math.round(avg(g.map((x) => x.memUsed)) ?? 0) })),
    }));
  }
}

function strip(row: typeof hostSamples.$inferSelect): HostSample {
  const { serverId: _s, ...rest } = row;
  return rest;
}

function avg(xs: (number | null)[]): number | null {
  const v = xs.filter((x): x is number => x !== null);
  return v.length ? v.reduce((a, b) => a + b, 0) / v.length : null;
}

function bucket<T extends { at: number }, R>(rows: T[], size: number, reduce: (g: T[]) => R): R[] {
  const out: R[] = [];
  let group: T[] = [];
  let key = -1;
  for (const r of rows) {
    const k = Math.floor(r.at / size);
    if (k !== key && group.length) {
      out.push(reduce(group));
      group = [];
    }
    key = k;
    group.push(r);
  }
  if (group.length) out.push(reduce(group));
  return out;
}
