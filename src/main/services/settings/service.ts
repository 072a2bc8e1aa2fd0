import { eq } from 'drizzle-orm';
import { Settings } from '../../../shared/contract/settings.ts';
import type { Db } from '../db/index.ts';
import { settings as settingsTable } from '../db/schema.ts';

// Built once: a zod schema compiles itself on first use, and the fleet monitor reads the settings at every tick.
const StoredSettings = Settings.partial();
const DEFAULTS: Settings = { theme: 'system', notifications: true, alerts: { restartLoop: true, unhealthy: true, unreachable: true, diskPercent: 90 }, sampleIntervalSec: 5 };

export class SettingsService {
  private readonly db: Db;
  constructor(db: Db) {
    this.db = db;
  }

  get(): Settings {
    const row = this.db.select().from(settingsTable).where(eq(settingsTable.key, 'app')).get();
    const parsed = row ? StoredSettings.safeParse(row.value) : null;
    return { ...DEFAULTS, ...(parsed?.success ? parsed.data : {}) };
  }

  private readonly listeners = new Set<(s: Settings) => void>();

  onChange(fn: (s: Settings) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  update(patch: Partial<Settings>): Settings {
    const next = Settings.parse({ ...this.get(), ...patch });
    const value = next;
    this.db
      .insert(settingsTable)
      .values({ key: 'app', value, updatedAt: Date.now() })
      .onConflictDoUpdate({ target: settingsTable.key, set: { value, updatedAt: Date.now() } })
      .run();
    for (const fn of this.listeners) fn(next);
    return next;
  }
}
