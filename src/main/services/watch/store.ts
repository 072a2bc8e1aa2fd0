import { eq } from 'drizzle-orm';
import { z } from 'zod';
import { WatchSettings, type WatchSettingsPatch } from '../../../shared/contract/watch.ts';
import type { Db } from '../db/index.ts';
import { watchServers } from '../db/schema.ts';

export interface WatchRecord {
  enabled: boolean;
  settings: WatchSettings;
  peers: string[];
}

const Peers = z.array(z.string());
const DEFAULTS = (): WatchSettings => WatchSettings.parse({});

/** Watch settings per server in SQLite (one row per server that has any; defaults otherwise). */
export class WatchStore {
  private readonly db: Db;
  constructor(db: Db) {
    this.db = db;
  }

  get(serverId: string): WatchRecord {
    const row = this.db.select().from(watchServers).where(eq(watchServers.serverId, serverId)).get();
    if (!row) return { enabled: false, settings: DEFAULTS(), peers: [] };
    const settings = WatchSettings.safeParse(row.settings);
    const peers = Peers.safeParse(row.peers);
    return { enabled: row.enabled, settings: settings.success ? settings.data : DEFAULTS(), peers: peers.success ? peers.data : [] };
  }

  /** Servers this app turned Watch on for. */
  enabledServers(): string[] {
    return this.db.select({ id: watchServers.serverId }).from(watchServers).where(eq(watchServers.enabled, true)).all().map((r) => r.id);
  }

  /** Servers whose peers include `serverId` (they scrape it). */
  watchers(serverId: string): string[] {
    return this.db
      .select()
      .from(watchServers)
      .all()
      .filter((r) => Peers.safeParse(r.peers).data?.includes(serverId))
      .map((r) => r.serverId);
  }

  /** The settings with `patch` applied (validated by the caller's contract input; re-checked here as a whole). */
  merge(serverId: string, patch: WatchSettingsPatch): WatchSettings {
    const cur = this.get(serverId).settings;
    return WatchSettings.parse({
      thresholds: { ...cur.thresholds, ...patch.thresholds },
      intervals: { ...cur.intervals, ...patch.intervals },
      retention: { ...cur.retention, ...patch.retention },
    });
  }

  put(serverId: string, change: Partial<WatchRecord>): WatchRecord {
    const next = { ...this.get(serverId), ...change };
    const values = { enabled: next.enabled, settings: next.settings, peers: next.peers, updatedAt: Date.now() };
    this.db
      .insert(watchServers)
      .values({ serverId, ...values })
      .onConflictDoUpdate({ target: watchServers.serverId, set: values })
      .run();
    return next;
  }
}
