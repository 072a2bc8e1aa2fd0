import { Readable } from 'node:stream';
import { AppError } from '../../core/errors.ts';
import type { DockerClient } from '../../docker/client.ts';
import { execChecked, execInContainer } from '../../docker/exec.ts';
import { forGunzip, type Compressed } from '../codec.ts';
import { DumpStats } from '../dump-stats.ts';
import { checkDbName, compareTables } from './common.ts';
import type { DatabaseDriver, DatabaseOps } from './types.ts';

export interface PgTarget {
  container: string;
  username: string;
  /** The database the user's credentials open (used for CREATE/DROP/ALTER DATABASE). */
  maintenanceDb: string;
}

/** Counts rows of every ordinary table of `db` (schema.table → rows), in one query. */
const COUNT_SQL = `select n.nspname || '.' || c.relname, (xpath('/row/c/text()', query_to_xml(format('select count(*) as c from %I.%I', n.nspname, c.relname), false, true, '')))[1]::text
from pg_class c join pg_namespace n on n.oid = c.relnamespace
where c.relkind in ('r', 'p') and n.nspname not in ('pg_catalog', 'information_schema') and n.nspname not like 'pg_toast%' order by 1`;

function psql(t: PgTarget, db: string, sql: string): string[] {
  return ['psql', '-v', 'ON_ERROR_STOP=1', '-U', t.username, '-d', db, '-At', '-c', sql];
}

/** A checked database name, quoted as an identifier. */
const ident = (name: string) => `"${checkDbName(name)}"`;

export async function databaseExists(client: DockerClient, t: PgTarget, name: string): Promise<boolean> {
  const out = await execChecked(client, t.container, psql(t, t.maintenanceDb, `select 1 from pg_database where datname = '${checkDbName(name)}'`), 'checking the database');
  return out.trim() === '1';
}

export async function createDatabase(client: DockerClient, t: PgTarget, name: string): Promise<void> {
  await execChecked(client, t.container, psql(t, t.maintenanceDb, `create database ${ident(name)}`), `creating database ${name}`);
}

export async function dropDatabase(client: DockerClient, t: PgTarget, name: string): Promise<void> {
  await execChecked(client, t.container, psql(t, t.maintenanceDb, `drop database if exists ${ident(name)} with (force)`), `dropping database ${name}`);
}

/** Feeds a plain dump into psql in the container (ON_ERROR_STOP, one transaction); gzip is unpacked there. */
export async function loadDump(client: DockerClient, t: PgTarget, db: string, input: Compressed): Promise<void> {
  const { stdin, filter } = forGunzip(input);
  const r = await execInContainer(
    client,
    t.container,
    ['sh', '-c', 'if [ "$3" = gunzip ]; then gunzip -c; else cat; fi | psql -q -v ON_ERROR_STOP=1 --single-transaction -U "$1" -d "$2" > /dev/null', 'sh', t.username, checkDbName(db), filter],
    { stdin, maxCollect: 20_000 },
  );
  if (r.code !== 0) throw new AppError('REMOTE_COMMAND_FAILED', `restoring into ${db} failed (exit ${r.code}): ${r.stderr.trim().slice(-800)}`);
}

export async function countRows(client: DockerClient, t: PgTarget, db: string): Promise<Map<string, number>> {
  const out = await execChecked(client, t.container, psql(t, db, COUNT_SQL), `counting rows in ${db}`);
  const m = new Map<string, number>();
  for (const line of out.split('\n')) {
    const [table, n] = line.split('|');
    if (table && n !== undefined) m.set(table, Number(n));
  }
  return m;
}

/** Swaps a restored database in place of `live`; the old one is kept as `<live>_before_<stamp>`. */
export async function swapDatabases(client: DockerClient, t: PgTarget, live: string, restored: string, stamp: string): Promise<string> {
  const old = `${live}_before_${stamp}`.slice(0, 63);
  if (live === t.maintenanceDb) {
    throw new AppError('CONFLICT', `dbName: ${live} is the database the credentials connect to; restore it side by side under another name instead`);
  }
  const sql = `select pg_terminate_backend(pid) from pg_stat_activity where datname = '${checkDbName(live)}' and pid <> pg_backend_pid()`;
  await execChecked(client, t.container, psql(t, t.maintenanceDb, sql), 'closing connections');
  await execChecked(client, t.container, psql(t, t.maintenanceDb, `alter database ${ident(live)} rename to ${ident(old)}`), 'renaming the live database');
  try {
    await execChecked(client, t.container, psql(t, t.maintenanceDb, `alter database ${ident(restored)} rename to ${ident(live)}`), 'renaming the restored database');
  } catch (e) {
    // The live database gets its name back: apps never find it missing because the second rename failed.
    await execChecked(client, t.container, psql(t, t.maintenanceDb, `alter database ${ident(old)} rename to ${ident(live)}`), 'renaming the live database back').catch(() => {});
    throw e;
  }
  return old;
}

/**
 * Every ordinary table of the database as pg_dump writes its data (a `COPY <table> FROM stdin;` line, the rows as
 * `COPY ... TO STDOUT` gives them with pg_dump's session settings, a `\.` line), read by DumpStats as it streams
 * out: per-table row counts and content sums to compare with the backup's. A constant script (names quoted by %I).
 */
const CONTENT_SCRIPT = String.raw`SET datestyle = ISO;
SET intervalstyle = postgres;
SET extra_float_digits = 3;
SET row_security = off;
SET synchronize_seqscans = off;
select set_config('client_encoding', pg_encoding_to_char(encoding), false) as enc from pg_database where datname = current_database() \gset
select format('select %L', 'COPY ' || format('%I.%I', n.nspname, c.relname) || ' FROM stdin;'), format('copy %I.%I to stdout', n.nspname, c.relname), format('select %L', '\.')
from pg_class c join pg_namespace n on n.oid = c.relnamespace
where c.relkind = 'r' and n.nspname not in ('pg_catalog', 'information_schema') and n.nspname not like 'pg_toast%'
order by n.nspname, c.relname \gexec
`;

export async function pgContent(client: DockerClient, t: PgTarget, db: string): Promise<DumpStats> {
  const stats = new DumpStats();
  const r = await execInContainer(client, t.container, ['psql', '-X', '-q', '-At', '-v', 'ON_ERROR_STOP=1', '-U', t.username, '-d', checkDbName(db)], {
    stdin: Readable.from([CONTENT_SCRIPT]),
    onStdout: (c) => stats.update(c),
    maxCollect: 20_000,
  });
  if (r.code !== 0) throw new AppError('REMOTE_COMMAND_FAILED', `reading the rows of ${db} failed (exit ${r.code}): ${r.stderr.trim().slice(-800)}`);
  stats.digest();
  return stats;
}

/** PostgreSQL: restored into a fresh database; `replace` swaps it in, keeping the old one under another name. */
export const postgresDriver: DatabaseDriver = {
  scope: 'database',
  kinds: ['postgres'],
  what: 'a PostgreSQL dump',
  async ops(ctx, row): Promise<DatabaseOps> {
    const client = await ctx.client(row.serverId);
    const t: PgTarget = { container: await ctx.databases.container(row, client), username: row.username, maintenanceDb: 'postgres' };
    return {
      exists: (name) => databaseExists(client, t, name),
      create: (name) => createDatabase(client, t, name),
      drop: (name) => dropDatabase(client, t, name),
      load: (name, input) => loadDump(client, t, name, input),
      count: (name) => countRows(client, t, name),
      check: async (name, restored, at) => compareTables(restored, await pgContent(client, t, name), at),
      replace: async (live, restored, stamp) => {
        if (await databaseExists(client, t, live)) await swapDatabases(client, t, live, restored, stamp);
        else await execChecked(client, t.container, psql(t, t.maintenanceDb, `alter database ${ident(restored)} rename to ${ident(live)}`), 'renaming');
      },
    };
  },
};
