import type { Readable } from 'node:stream';
import { DumpStats } from './dump-stats.ts';
import { AppError } from '../core/errors.ts';
import type { DockerClient } from '../docker/client.ts';
import { execChecked, execInContainer } from '../databases/docker-exec.ts';

/** A managed MariaDB/MySQL, reached in its container with its own client over TCP (the password in MYSQL_PWD). */
export interface MyTarget {
  container: string;
  /** `mariadb` (mariadb:11 has no `mysql` any more) or `mysql` (mysql:8). */
  client: 'mariadb' | 'mysql';
  username: string;
  password: string;
}

/** `name` must match ^[a-z][a-z0-9_]*$ (checked here again): safe between backticks. */
export function myIdent(name: string): string {
  if (!/^[a-z][a-z0-9_]{0,62}$/.test(name)) throw new AppError('INPUT_INVALID', `dbName: expected a database name like shop_restored, got ${name}`);
  return `\`${name}\``;
}

function cmd(t: MyTarget, sql: string, db?: string): string[] {
  return [t.client, '--protocol=TCP', '-h', '127.0.0.1', '-u', t.username, '-N', '-B', ...(db ? ['-D', db] : []), '-e', sql];
}

async function query(client: DockerClient, t: MyTarget, sql: string, what: string, db?: string): Promise<string> {
  return execChecked(client, t.container, cmd(t, sql, db), what, { env: [`MYSQL_PWD=${t.password}`] });
}

export async function myDatabaseExists(client: DockerClient, t: MyTarget, name: string): Promise<boolean> {
  const out = await query(client, t, `select count(*) from information_schema.schemata where schema_name = '${myIdent(name).slice(1, -1)}'`, 'checking the database');
  return out.trim() === '1';
}

export async function myCreateDatabase(client: DockerClient, t: MyTarget, name: string): Promise<void> {
  await query(client, t, `create database ${myIdent(name)}`, `creating database ${name}`);
}

export async function myDropDatabase(client: DockerClient, t: MyTarget, name: string): Promise<void> {
  await query(client, t, `drop database if exists ${myIdent(name)}`, `dropping database ${name}`);
}

/** Streams a plain dump (already gunzipped) into the client, which stops at the first error. */
export async function myLoadDump(client: DockerClient, t: MyTarget, db: string, plain: Readable): Promise<void> {
  const r = await execInContainer(client, t.container, [t.client, '--protocol=TCP', '-h', '127.0.0.1', '-u', t.username, '--binary-mode', '-D', myIdent(db).slice(1, -1)], {
    env: [`MYSQL_PWD=${t.password}`],
    stdin: plain,
    maxCollect: 20_000,
  });
  if (r.code !== 0) throw new AppError('REMOTE_COMMAND_FAILED', `restoring into ${db} failed (exit ${r.code}): ${(r.stderr || r.stdout).trim().slice(-800)}`);
}

/** Rows of every base table of `db` (exact counts, one statement). */
export async function myCountRows(client: DockerClient, t: MyTarget, db: string): Promise<Map<string, number>> {
  const names = (await query(client, t, `select table_name from information_schema.tables where table_schema = '${myIdent(db).slice(1, -1)}' and table_type = 'BASE TABLE' order by table_name`, `listing tables in ${db}`))
    .split('\n')
    .filter((n) => n.length > 0);
  const m = new Map<string, number>();
  if (names.length === 0) return m;
  const q = (n: string) => `\`${n.replaceAll('`', '``')}\``;
  const sql = names.map((n, i) => `select ${i}, count(*) from ${myIdent(db)}.${q(n)}`).join(' union all ');
  for (const line of (await query(client, t, sql, `counting rows in ${db}`)).split('\n')) {
    const [i, n] = line.split('\t');
    if (i !== undefined && n !== undefined && names[Number(i)] !== undefined) m.set(names[Number(i)]!, Number(n));
  }
  return m;
}

/** CHECKSUM TABLE of every base table (table → checksum), to compare two databases. */
export async function myChecksums(client: DockerClient, t: MyTarget, db: string): Promise<Map<string, string>> {
  const names = [...(await myCountRows(client, t, db)).keys()];
  const m = new Map<string, string>();
  if (names.length === 0) return m;
  const out = await query(client, t, `checksum table ${names.map((n) => `${myIdent(db)}.\`${n.replaceAll('`', '``')}\``).join(', ')}`, `checksumming ${db}`);
  for (const line of out.split('\n')) {
    const [table, sum] = line.split('\t');
    if (table && sum !== undefined) m.set(table.slice(db.length + 1), sum);
  }
  return m;
}

/**
 * The rows of `db` as the backup's dumper writes them (data only, same value options: --hex-blob, UTC timestamps),
 * read by DumpStats as they stream out: per-table tuple counts and content sums to compare with the backup's.
 */
export async function myContent(client: DockerClient, t: MyTarget, db: string): Promise<DumpStats> {
  const stats = new DumpStats();
  const dumper = 'if command -v mariadb-dump >/dev/null 2>&1; then exec mariadb-dump "$@"; else exec mysqldump "$@"; fi';
  const args = ['--protocol=TCP', '-h', '127.0.0.1', '-u', t.username, '--single-transaction', '--no-create-info', '--skip-triggers', '--hex-blob', '--skip-dump-date', '--no-tablespaces', myIdent(db).slice(1, -1)];
  const r = await execInContainer(client, t.container, ['sh', '-c', dumper, 'sh', ...args], { env: [`MYSQL_PWD=${t.password}`], onStdout: (c) => stats.update(c), maxCollect: 20_000 });
  if (r.code !== 0) throw new AppError('REMOTE_COMMAND_FAILED', `reading the rows of ${db} failed (exit ${r.code}): ${r.stderr.trim().slice(-800)}`);
  stats.digest();
  return stats;
}
