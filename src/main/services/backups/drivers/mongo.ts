import type { Readable } from 'node:stream';
import { AppError } from '../../core/errors.ts';
import type { DockerClient } from '../../docker/client.ts';
import { execChecked, execInContainer } from '../../docker/exec.ts';
import { decompressed } from '../codec.ts';
import { checkDbName } from './common.ts';
import type { DatabaseDriver, DatabaseOps } from './types.ts';

/**
 * A managed MongoDB (`mongo:7`: mongosh and the database tools are in the image), as its root user in `admin`.
 * Not exercised by the tests here: Debian 12 has no MongoDB package to build a stand-in from.
 */
export interface MongoTarget {
  container: string;
  username: string;
  password: string;
}

/** Runs a mongosh script (database names in it are checked by the callers: lowercase letters, digits, _), the password in the env. */
async function mongosh(client: DockerClient, t: MongoTarget, script: string, what: string): Promise<string> {
  return execChecked(
    client,
    t.container,
    ['sh', '-c', 'mongosh --quiet --host 127.0.0.1 -u "$0" -p "$OP_PASSWORD" --authenticationDatabase admin admin --eval "$1"', t.username, script],
    what,
    { env: [`OP_PASSWORD=${t.password}`] },
  );
}

export async function mongoDatabaseExists(client: DockerClient, t: MongoTarget, name: string): Promise<boolean> {
  checkDbName(name);
  const out = await mongosh(client, t, `print(db.adminCommand({ listDatabases: 1, nameOnly: true }).databases.some((d) => d.name === '${name}'))`, 'listing databases');
  return out.trim() === 'true';
}

export async function mongoDrop(client: DockerClient, t: MongoTarget, name: string): Promise<void> {
  checkDbName(name);
  await mongosh(client, t, `db.getSiblingDB('${name}').dropDatabase()`, `dropping ${name}`);
}

/** Documents per collection of `name`. */
export async function mongoCounts(client: DockerClient, t: MongoTarget, name: string): Promise<Map<string, number>> {
  checkDbName(name);
  const out = await mongosh(client, t, `const d = db.getSiblingDB('${name}'); d.getCollectionNames().forEach((c) => print(c + '\\t' + d.getCollection(c).countDocuments()))`, `counting ${name}`);
  const m = new Map<string, number>();
  for (const line of out.split('\n')) {
    const [c, n] = line.split('\t');
    if (c && n !== undefined) m.set(c, Number(n));
  }
  return m;
}

/** mongorestore of an archive (stdin) with the namespace `from.*` renamed to `into.*`. */
export async function mongoRestore(client: DockerClient, t: MongoTarget, from: string, into: string, plain: Readable): Promise<void> {
  checkDbName(from);
  checkDbName(into);
  const r = await execInContainer(
    client,
    t.container,
    ['sh', '-c', 'printf "password: \\"%s\\"\\n" "$OP_PASSWORD" > /tmp/.op-restore.yaml && chmod 600 /tmp/.op-restore.yaml && mongorestore --host 127.0.0.1 -u "$0" --authenticationDatabase admin --config /tmp/.op-restore.yaml --archive --nsInclude "$1.*" --nsFrom "$1.*" --nsTo "$2.*" --quiet; rc=$?; rm -f /tmp/.op-restore.yaml; exit $rc', t.username, from, into],
    { env: [`OP_PASSWORD=${t.password}`], stdin: plain, maxCollect: 20_000 },
  );
  if (r.code !== 0) throw new AppError('REMOTE_COMMAND_FAILED', `restoring into ${into} failed (exit ${r.code}): ${(r.stderr || r.stdout).trim().slice(-800)}`);
}

/**
 * MongoDB: mongorestore of the archive with its namespace renamed to the new database. Verify: the restore must
 * succeed and the digests match; per-collection counts are reported, not compared (the archive is not parsed).
 */
export const mongoDriver: DatabaseDriver = {
  scope: 'database',
  kinds: ['mongo'],
  what: 'a MongoDB one',
  async ops(ctx, row, ref): Promise<DatabaseOps> {
    const source = ctx.job(ref.jobId).source;
    const from = source.kind === 'database' ? ctx.databases.row(source.databaseId).database : null;
    if (!from) throw new AppError('INPUT_INVALID', 'key: not a database backup');
    const client = await ctx.client(row.serverId);
    const t: MongoTarget = { container: await ctx.databases.container(row, client), username: row.username, password: await ctx.databases.password(row) };
    return {
      exists: (name) => mongoDatabaseExists(client, t, name),
      create: async () => {},
      drop: (name) => mongoDrop(client, t, name),
      load: (name, input) => mongoRestore(client, t, from, name, decompressed(input)),
      count: (name) => mongoCounts(client, t, name),
      check: async (_name, restored, at) => {
        const docs = restored.tables.reduce((a, x) => a + x.rows, 0);
        return { passed: true, detail: `restored ${restored.bytes} bytes into a throwaway database: ${restored.tables.length} collections, ${docs} documents (counts not compared: the archive is not parsed); digests match the manifest`, tables: [], at };
      },
      replace: null,
    };
  },
};
