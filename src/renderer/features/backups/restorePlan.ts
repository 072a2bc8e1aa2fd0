import type { BackupJob, RestoreTarget } from '../../../shared/contract/backups.ts';
import type { DatabaseEngine, ManagedDatabase } from '../../../shared/contract/databases.ts';
import { ENGINE_CATALOGUE } from '../../../shared/contract/engines.ts';
import type { z } from 'zod';

export type RestoreInput = z.input<typeof RestoreTarget>;

/** Engines whose backups can replace the live data in place (PostgreSQL: swapped in, the old kept; Redis: the dataset). */
export const REPLACEABLE = new Set(['postgres', 'redis']);

export interface RestoreChoice {
  mode: 'replace' | 'new';
  /** The managed database (instance) to restore into, on this or another server. */
  intoId: string;
  /** The new database's name (engines whose backup is one database). */
  dbName: string;
}

export interface RestorePlan {
  target: RestoreInput | null;
  /** What will happen, in order, for the user to read before it runs. */
  lines: string[];
  /** Why it cannot run as chosen. */
  problem: string | null;
}

/** The engine of a job's backups: its database's, or (database removed) the manifest's kind, which is the engine. */
export function backupEngine(source: ManagedDatabase | undefined, manifestKind: string | undefined): DatabaseEngine | null {
  if (source) return source.engine;
  return manifestKind && Object.hasOwn(ENGINE_CATALOGUE, manifestKind) ? (manifestKind as DatabaseEngine) : null;
}

const where = (db: ManagedDatabase, servers: Map<string, string>) => `${db.name} on ${servers.get(db.serverId) ?? db.serverId}`;

/** The restore target and its consequences in words, from the dialog's choices. */
export function restorePlan(job: BackupJob, source: ManagedDatabase | undefined, engine: DatabaseEngine | null, candidates: ManagedDatabase[], choice: RestoreChoice, servers: Map<string, string>): RestorePlan {
  if (job.source.kind !== 'database') return { target: null, lines: [], problem: 'volume backups are restored from the command line (see docs/data.md)' };
  if (!engine) return { target: null, lines: [], problem: 'this backup has no manifest naming its engine, and its database was removed' };
  const whole = ENGINE_CATALOGUE[engine].wholeInstance;
  if (choice.mode === 'replace') {
    if (!source) return { target: null, lines: [], problem: `the database of this schedule (${job.label}) was removed: restore into another one` };
    if (!REPLACEABLE.has(source.engine)) return { target: null, lines: [], problem: `${ENGINE_CATALOGUE[source.engine].label} databases are restored side by side only` };
    if (whole) {
      return {
        target: { kind: 'instance', databaseId: source.id, replace: true },
        lines: [`The whole dataset of ${where(source, servers)} is replaced by the backup.`, 'Everything written to it since the backup is lost.', 'The backup is decrypted and its digests checked before anything is replaced.'],
        problem: null,
      };
    }
    return {
      target: { kind: 'database', databaseId: source.id, dbName: source.database, replace: true },
      lines: [
        `The backup is restored side by side into a temporary database on ${where(source, servers)}, then swapped in as "${source.database}".`,
        `The current "${source.database}" is kept, renamed to "${source.database}_before_<time>", not dropped.`,
        'Open connections to it are closed for the swap; applications reconnect to the restored data.',
      ],
      problem: null,
    };
  }
  const into = candidates.find((d) => d.id === choice.intoId);
  if (!into) return { target: null, lines: [], problem: `choose a ${ENGINE_CATALOGUE[engine].label} database to restore into` };
  const untouched = source ? [`${where(source, servers)} is not touched${into.id === source.id ? ' (the restore sits beside it in the same server)' : ''}.`] : [];
  if (whole) {
    if (into.id === source?.id) return { target: null, lines: [], problem: 'to restore into the source itself, choose "Replace"' };
    return {
      target: { kind: 'instance', databaseId: into.id, replace: false },
      lines: [`The backup is loaded into ${where(into, servers)}, which must be empty (it is refused otherwise).`, ...untouched],
      problem: null,
    };
  }
  if (!/^[a-z][a-z0-9_]{0,62}$/.test(choice.dbName)) return { target: null, lines: [], problem: 'New database name: expected lowercase letters, digits and _, starting with a letter' };
  return {
    target: { kind: 'database', databaseId: into.id, dbName: choice.dbName, replace: false },
    lines: [
      `A new database "${choice.dbName}" is created in ${where(into, servers)} and the backup loaded into it (refused if it exists).`,
      ...untouched,
    ],
    problem: null,
  };
}
