import type { Readable } from 'node:stream';
import type { BackupManifest, BackupSource, Verification } from '../../../../shared/contract/backups.ts';
import { AppError } from '../../core/errors.ts';
import type { dataDatabases } from '../../db/schema.ts';
import type { DockerClient } from '../../docker/client.ts';
import type { DatabasesService } from '../../databases/service.ts';
import type { Compressed } from '../codec.ts';
import type { DumpStats } from '../dump-stats.ts';

export type DatabaseRow = typeof dataDatabases.$inferSelect;

/** What a backup read to its end says: both digests, and the rows and row-content sums per table of its dump. */
export interface BackupDone {
  objectSha256: string;
  plainSha256: string;
  bytes: number;
  rows: Map<string, number>;
  content: Map<string, bigint>;
}

/** A backup opened for reading (BackupReader.open): its compressed bytes and codec, streamed; `done` once read and checked. */
export interface OpenedBackup extends Compressed {
  manifest: BackupManifest | null;
  done: Promise<BackupDone>;
}

/** The narrow view of the backups service that restores and verifies need (no import of the service itself). */
export interface RestoreContext {
  client(serverId: string): Promise<DockerClient>;
  databases: Pick<DatabasesService, 'row' | 'password' | 'resolve' | 'waitReady' | 'container'>;
  /** The job's server and what it backs up; NOT_FOUND for an unknown job. */
  job(jobId: string): { serverId: string; source: BackupSource };
  open(jobId: string, key: string): Promise<OpenedBackup>;
}

/** One backup object of one job. */
export interface BackupRef {
  jobId: string;
  key: string;
}

export interface RestoreOutcome {
  restoredInto: string;
  bytes: number;
  plainSha256: string;
  tables: { table: string; rows: number }[];
}

/** A restore plus what the backup's dump holds per table: rows and the sum of their digests (DumpStats). */
export type Restored = RestoreOutcome & { rows: Map<string, number>; content: Map<string, bigint> };

/** A database name as the contract accepts it (checked here again): safe between quotes of any engine. */
export function checkDbName(name: string): string {
  if (!/^[a-z][a-z0-9_]{0,62}$/.test(name)) throw new AppError('INPUT_INVALID', `dbName: expected a database name like shop_restored, got ${name}`);
  return name;
}

/** A failed restore: the decryption or digest error (clearer than the client's) when there is one. */
export async function causeOf(b: { compressed: Readable; done: Promise<unknown> }, e: unknown): Promise<unknown> {
  b.compressed.destroy();
  const cause = await b.done.then(
    () => null,
    (err: unknown) => err,
  );
  return cause instanceof AppError ? cause : e;
}

/** Refuses a backup whose manifest says it is of another kind; `what` is what it should be ("a Redis one"). */
export function checkKind(manifestKind: string | undefined, want: readonly string[], what: string): void {
  if (manifestKind && !want.includes(manifestKind)) throw new AppError('INPUT_INVALID', `key: this backup is a ${manifestKind} backup, not ${what}`);
}

/**
 * The restored database against the backup's dump, table by table: the row count, then the rows' content (the sum of
 * row digests of a fresh dump of the restored database, `actual`, against the backup's). Either differing fails.
 */
export function compareTables(restored: Restored, actual: DumpStats, at: number): Verification {
  // Every table on either side: one in the dump without rows expects 0; one missing after the restore is null.
  const counted = new Map(restored.tables.map((x) => [x.table, x.rows]));
  const names = [...new Set([...restored.rows.keys(), ...counted.keys()])].sort();
  const tables = names.map((table) => ({ table, expected: restored.rows.get(table) ?? 0, actual: counted.get(table) ?? null }));
  const bad = tables.filter((x) => x.actual !== x.expected);
  if (bad.length > 0) return { passed: false, detail: `row counts differ: ${bad.map((x) => `${x.table} ${x.actual ?? 'missing'} ≠ ${x.expected}`).join(', ')}`, tables, at };
  const differs = names.filter((n) => (restored.content.get(n) ?? 0n) !== (actual.content.get(n) ?? 0n) || (restored.rows.get(n) ?? 0) !== (actual.rows.get(n) ?? 0));
  if (differs.length > 0) return { passed: false, detail: `content differs (same row counts): ${differs.join(', ')}`, tables, at };
  return { passed: true, detail: `restored ${restored.bytes} bytes into a throwaway database; ${tables.length} tables, row counts and row contents equal; digests match the manifest`, tables, at };
}
