import type { Readable } from 'node:stream';
import { DumpStats } from '../dump-stats.ts';
import { AppError } from '../../core/errors.ts';
import type { DockerClient } from '../../docker/client.ts';
import { execChecked, execInContainer } from '../../docker/exec.ts';
import { decompressed } from '../codec.ts';
import { checkDbName, compareTables } from './common.ts';
import type { DatabaseDriver, DatabaseOps } from './types.ts';

/** A managed MariaDB/MySQL, reached in its container with its own client over TCP (the password in MYSQL_PWD). */
export interface MysqlTarget {
  container: string;
  /** `mariadb` (mariadb:11 has no `mysql` any more) or `mysql` (mysql:8). */
  client: 'mariadb' | 'mysql';
  username: string;
  password: string;
}

/** A checked database name between backticks. */
const ident = (name: string) => `\`${checkDbName(name)}\``;

function cmd(t: MysqlTarget, sql: string, db?: string): string[] {
  return [t.client, '--protocol=TCP', '-h', '127.0.0.1', '-u', t.username, '-N', '-B', ...(db ? ['-D', db] : []), '-e', sql];
}

async function query(client: DockerClient, t: MysqlTarget, sql: string, what: string, db?: string): Promise<string> {
  return execChecked(client, t.container, cmd(t, sql, db), what, { env: [`MYSQL_PWD=${t.password}`] });
}

export async function mysqlDatabaseExists(client: DockerClient, t: MysqlTarget, name: string): Promise<boolean> {
  const out = await query(client, t, `select count(*) from information_schema.schemata where schema_name = '${checkDbName(name)}'`, 'checking the database');
  return out.trim() === '1';
}

export async function mysqlCreateDatabase(client: DockerClient, t: MysqlTarget, name: string): Promise<void> {
  await query(client, t, `create database ${ident(name)}`, `creating database ${name}`);
}

export async function mysqlDropDatabase(client: DockerClient, t: MysqlTarget, name: string): Promise<void> {
  await query(client, t, `drop database if exists ${ident(name)}`, `dropping database ${name}`);
}

/** Streams a plain dump (already decompressed) into the client, which stops at the first error. */
export async function mysqlLoadDump(client: DockerClient, t: MysqlTarget, db: string, plain: Readable): Promise<void> {
  const r = await execInContainer(client, t.container, [t.client, '--protocol=TCP', '-h', '127.0.0.1', '-u', t.username, '--binary-mode', '-D', checkDbName(db)], {
    env: [`MYSQL_PWD=${t.password}`],
    stdin: plain,
    maxCollect: 20_000,
  });
  if (r.code !== 0) throw new AppError('REMOTE_COMMAND_FAILED', `restoring into ${db} failed (exit ${r.code}): ${(r.stderr || r.stdout).trim().slice(-800)}`);
}

/** Rows of every base table of `db` (exact counts, one statement). */
export async function mysqlCountRows(client: DockerClient, t: MysqlTarget, db: string): Promise<Map<string, number>> {
  const names = (await query(client, t, `select table_name from information_schema.tables where table_schema = '${checkDbName(db)}' and table_type = 'BASE TABLE' order by table_name`, `listing tables in ${db}`))
    .split('\n')
    .filter((n) => n.length > 0);
  const m = new Map<string, number>();
  if (names.length === 0) return m;
  const q = (n: string) => `\`${n.replaceAll('`', '``')}\``;
  const sql = names.map((n, i) => `select ${i}, count(*) from ${ident(db)}.${q(n)}`).join(' union all ');
  for (const line of (await query(client, t, sql, `counting rows in ${db}`)).split('\n')) {
    const [i, n] = line.split('\t');
    if (i !== undefined && n !== undefined && names[Number(i)] !== undefined) m.set(names[Number(i)]!, Number(n));
  }
  return m;
}

/**
 * The rows of `db` as the backup's dumper writes them (data only, same value options: --hex-blob, UTC timestamps),
 * read by DumpStats as they stream out: per-table tuple counts and content sums to compare with the backup's.
 */
export async function mysqlContent(client: DockerClient, t: MysqlTarget, db: string): Promise<DumpStats> {
  const stats = new DumpStats();
  const dumper = 'if command -v mariadb-dump >/dev/null 2>&1; then exec mariadb-dump "$@"; else exec mysqldump "$@"; fi';
  const args = ['--protocol=TCP', '-h', '127.0.0.1', '-u', t.username, '--single-transaction', '--no-create-info', '--skip-triggers', '--hex-blob', '--skip-dump-date', '--no-tablespaces', checkDbName(db)];
  const r = await execInContainer(client, t.container, ['sh', '-c', dumper, 'sh', ...args], { env: [`MYSQL_PWD=${t.password}`], onStdout: (c) => stats.update(c), maxCollect: 20_000 });
  if (r.code !== 0) throw new AppError('REMOTE_COMMAND_FAILED', `reading the rows of ${db} failed (exit ${r.code}): ${r.stderr.trim().slice(-800)}`);
  stats.digest();
  return stats;
}

/** MariaDB/MySQL: into a new database next to the live one; verify compares each table's rows with the dump's tuples. */
export const mysqlDriver: DatabaseDriver = {
  scope: 'database',
  kinds: ['mariadb', 'mysql'],
  what: 'a MariaDB/MySQL one',
  async ops(ctx, row): Promise<DatabaseOps> {
    const client = await ctx.client(row.serverId);
    const t: MysqlTarget = { container: await ctx.databases.container(row, client), client: row.engine === 'mysql' ? 'mysql' : 'mariadb', username: row.username, password: await ctx.databases.password(row) };
    return {
      exists: (name) => mysqlDatabaseExists(client, t, name),
      create: (name) => mysqlCreateDatabase(client, t, name),
      drop: (name) => mysqlDropDatabase(client, t, name),
      load: (name, input) => mysqlLoadDump(client, t, name, decompressed(input)),
      count: (name) => mysqlCountRows(client, t, name),
      check: async (name, restored, at) => compareTables(restored, await mysqlContent(client, t, name), at),
      replace: null,
    };
  },
};
