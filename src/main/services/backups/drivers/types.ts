import type { Verification } from '../../../../shared/contract/backups.ts';
import type { Compressed } from '../codec.ts';
import type { BackupRef, DatabaseRow, Restored, RestoreContext, RestoreOutcome } from './common.ts';

/** One managed database server (its container and credentials), seen by an engine whose backups hold one database. */
export interface DatabaseOps {
  exists(name: string): Promise<boolean>;
  /** An empty database to load into (MongoDB: nothing to do, mongorestore creates it). */
  create(name: string): Promise<void>;
  drop(name: string): Promise<void>;
  /** Loads the backup's compressed stream into `name`. */
  load(name: string, input: Compressed): Promise<void>;
  /** Rows (documents) per table (collection). */
  count(name: string): Promise<Map<string, number>>;
  /** Verification of a database restored from the backup, against the backup's dump. */
  check(name: string, restored: Restored, at: number): Promise<Verification>;
  /** Puts the database `restored` in place of `live` (which may not exist); null: the engine restores side by side only. */
  replace: ((live: string, restored: string, stamp: string) => Promise<void>) | null;
}

/** Engines whose backup is one database (PostgreSQL, MariaDB/MySQL, MongoDB): restored by name, side by side. */
export interface DatabaseDriver {
  scope: 'database';
  /** Manifest kinds this driver restores, and what a backup must be, for the error ("a PostgreSQL dump"). */
  kinds: readonly string[];
  what: string;
  ops(ctx: RestoreContext, row: DatabaseRow, ref: BackupRef): Promise<DatabaseOps>;
}

/** Engines whose backup is a whole instance (Redis RDB): restored over a managed instance, verified in a throwaway one. */
export interface InstanceDriver {
  scope: 'instance';
  restore(ctx: RestoreContext, ref: BackupRef, row: DatabaseRow, replace: boolean): Promise<RestoreOutcome>;
  verify(ctx: RestoreContext, ref: BackupRef, row: DatabaseRow, at: number): Promise<Verification>;
}

export type BackupDriver = DatabaseDriver | InstanceDriver;
