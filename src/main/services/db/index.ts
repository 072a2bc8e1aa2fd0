import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { drizzle, type BetterSQLite3Database } from 'drizzle-orm/better-sqlite3';
import { applyMigrations, bundledMigrations, type MigrationMeta } from './migrate.ts';
import * as schema from './schema.ts';

export type Db = BetterSQLite3Database<typeof schema>;

export interface Storage {
  db: Db;
  sqlite: Database.Database;
  close(): void;
}

/**
 * Opens (creating if needed) the app database: WAL, foreign keys, a busy timeout, and
 * every pending migration applied before anything else touches it.
 */
export function openStorage(file: string, options: { migrations?: MigrationMeta[] } = {}): Storage {
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const sqlite = new Database(file);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma('busy_timeout = 5000');
  sqlite.pragma('synchronous = NORMAL');
  const db = drizzle(sqlite, { schema });
  applyMigrations(db as unknown as BetterSQLite3Database<Record<string, unknown>>, options.migrations ?? bundledMigrations());
  return { db, sqlite, close: () => sqlite.close() };
}

export { schema, bundledMigrations };
