import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import type { z } from 'zod';
import type { BackupSource, RestoreTarget, Verification } from '../../../shared/contract/backups.ts';
import { AppError, errorMessage } from '../core/errors.ts';
import { execChecked, execInContainer } from '../databases/docker-exec.ts';
import { ensureImage } from '../databases/service.ts';
import { engineOf } from '../databases/engines.ts';
import { countRows, createDatabase, databaseExists, dropDatabase, loadDump, pgContent, swapDatabases, type PgTarget } from './pg-restore.ts';
import { myContent, myCountRows, myCreateDatabase, myDatabaseExists, myDropDatabase, myLoadDump, type MyTarget } from './my-restore.ts';
import type { DumpStats } from './dump-stats.ts';
import { redisCheckRdb, redisCli, redisKeys, redisLoadRdb, total, type RedisTarget } from './redis-restore.ts';
import { mongoCounts, mongoDatabaseExists, mongoDrop, mongoRestore, type MongoTarget } from './mongo-restore.ts';
import { TOOLS_IMAGE } from './scheduler.ts';
import type { BackupsService } from './service.ts';

const stamp = () => new Date().toISOString().replace(/[-:]/g, '').replace(/\..*$/, '').toLowerCase();

function pgTargetOf(svc: BackupsService, databaseId: string): { serverId: string; t: PgTarget } {
  const row = svc.d.databases.row(databaseId);
  return { serverId: row.serverId, t: { container: row.containerName, username: row.username, maintenanceDb: 'postgres' } };
}

/** What the backup's dump holds per table: rows and the sum of their digests (DumpStats). */
interface DumpFacts {
  rows: Map<string, number>;
  content: Map<string, bigint>;
}

export interface RestoreOutcome {
  restoredInto: string;
  bytes: number;
  plainSha256: string;
  tables: { table: string; rows: number }[];
}

/** The gzip stream of a backup, gunzipped here (so the database image needs no gzip); errors carry over. */
function gunzipped(gzip: Readable): Readable {
  const g = createGunzip();
  gzip.on('error', (e) => g.destroy(e));
  // Until a consumer (execInContainer) listens, an error here must not be an uncaught exception; the consumer still
  // sees it (g is destroyed, with g.errored), and the cause is reported from the backup's `done`.
  g.on('error', () => {});
  return gzip.pipe(g);
}

/** A failed restore: the decryption or digest error (clearer than the client's) when there is one. */
async function causeOf(b: { gzip: Readable; done: Promise<unknown> }, e: unknown): Promise<unknown> {
  b.gzip.destroy();
  const cause = await b.done.then(
    () => null,
    (err: unknown) => err,
  );
  return cause instanceof AppError ? cause : e;
}

function checkKind(manifestKind: string | undefined, want: string[], label: string): void {
  if (manifestKind && !want.includes(manifestKind)) throw new AppError('INPUT_INVALID', `key: this backup is a ${manifestKind} backup, not a ${label} one`);
}

async function myTargetOf(svc: BackupsService, databaseId: string): Promise<{ serverId: string; t: MyTarget }> {
  const row = svc.d.databases.row(databaseId);
  return { serverId: row.serverId, t: { container: row.containerName, client: row.engine === 'mysql' ? 'mysql' : 'mariadb', username: row.username, password: await svc.d.databases.password(row) } };
}

/** MariaDB/MySQL: into a new database next to the live one (created here, dropped again on any failure). */
async function restoreMy(svc: BackupsService, jobId: string, key: string, databaseId: string, into: string): Promise<RestoreOutcome & DumpFacts> {
  const { serverId, t } = await myTargetOf(svc, databaseId);
  const client = await svc.d.docker.client(serverId);
  if (await myDatabaseExists(client, t, into)) throw new AppError('CONFLICT', `target.dbName: a database ${into} already exists; choose a new name`);
  const b = await svc.open(jobId, key);
  checkKind(b.manifest?.kind, ['mariadb', 'mysql'], 'MariaDB/MySQL');
  await myCreateDatabase(client, t, into);
  try {
    const [, done] = await Promise.all([myLoadDump(client, t, into, gunzipped(b.gzip)), b.done]);
    const actual = await myCountRows(client, t, into);
    return { restoredInto: into, bytes: done.bytes, plainSha256: done.plainSha256, tables: [...actual].map(([table, rows]) => ({ table, rows })), rows: done.rows, content: done.content };
  } catch (e) {
    const cause = await causeOf(b, e);
    await myDropDatabase(client, t, into).catch(() => {});
    throw cause;
  }
}

/** MongoDB: mongorestore of the archive with its namespace renamed to the new database. Not exercised by tests here. */
async function restoreMongo(svc: BackupsService, jobId: string, key: string, databaseId: string, into: string): Promise<RestoreOutcome> {
  const row = svc.d.databases.row(databaseId);
  const source = JSON.parse(svc.jobRow(jobId).source) as BackupSource;
  const from = source.kind === 'database' ? svc.d.databases.row(source.databaseId).database : null;
  if (!from) throw new AppError('INPUT_INVALID', 'key: not a database backup');
  const t: MongoTarget = { container: row.containerName, username: row.username, password: await svc.d.databases.password(row) };
  const client = await svc.d.docker.client(row.serverId);
  if (await mongoDatabaseExists(client, t, into)) throw new AppError('CONFLICT', `target.dbName: a database ${into} already exists; choose a new name`);
  const b = await svc.open(jobId, key);
  checkKind(b.manifest?.kind, ['mongo'], 'MongoDB');
  try {
    const [, done] = await Promise.all([mongoRestore(client, t, from, into, gunzipped(b.gzip)), b.done]);
    const counts = await mongoCounts(client, t, into);
    return { restoredInto: into, bytes: done.bytes, plainSha256: done.plainSha256, tables: [...counts].map(([table, rows]) => ({ table, rows })) };
  } catch (e) {
    const cause = await causeOf(b, e);
    await mongoDrop(client, t, into).catch(() => {});
    throw cause;
  }
}

/**
 * Redis (a whole instance): the RDB replaces the dataset of a managed Redis: an empty one side by side, or, with
 * `replace`, one holding data (including the source itself). The digests are checked before anything is replaced.
 */
async function restoreRedis(svc: BackupsService, jobId: string, key: string, databaseId: string, replace: boolean): Promise<RestoreOutcome> {
  const row = svc.d.databases.row(databaseId);
  if (row.engine !== 'redis') throw new AppError('INPUT_INVALID', `target.databaseId: ${row.name} is not a Redis database`);
  const source = JSON.parse(svc.jobRow(jobId).source) as BackupSource;
  if (source.kind === 'database' && source.databaseId === row.id && !replace) {
    throw new AppError('CONFLICT', `target.replace: ${row.name} is the database this backup came from; restore into another Redis database side by side, or set replace to overwrite it`);
  }
  const client = await svc.d.docker.client(row.serverId);
  const t: RedisTarget = { container: row.containerName, password: await svc.d.databases.password(row) };
  const before = total(await redisKeys(client, t));
  if (before > 0 && !replace) throw new AppError('CONFLICT', `target.databaseId: ${row.name} holds ${before} keys; restore into an empty Redis database side by side, or set replace`);
  const b = await svc.open(jobId, key);
  checkKind(b.manifest?.kind, ['redis'], 'Redis');
  let done: Awaited<typeof b.done>;
  try {
    await redisLoadRdb(client, t, gunzipped(b.gzip), b.done, async () => {
      const c = client.api.getContainer(row.containerName);
      await c.stop({ t: 10 }).catch(() => {});
      await c.start();
    });
    done = await b.done;
  } catch (e) {
    throw await causeOf(b, e);
  }
  await svc.d.databases.waitReady(client, row);
  const keys = await redisKeys(client, t);
  return { restoredInto: row.name, bytes: done.bytes, plainSha256: done.plainSha256, tables: [...keys].map(([table, rows]) => ({ table, rows })) };
}

/** Restore into a fresh database (always): a new name side by side, or a temporary one swapped in for `replace`. */
async function restorePg(svc: BackupsService, jobId: string, key: string, databaseId: string, into: string): Promise<RestoreOutcome & DumpFacts> {
  const { serverId, t } = pgTargetOf(svc, databaseId);
  const client = await svc.d.docker.client(serverId);
  if (await databaseExists(client, t, into)) throw new AppError('CONFLICT', `target.dbName: a database ${into} already exists; choose a new name`);
  const b = await svc.open(jobId, key);
  if (b.manifest && b.manifest.kind !== 'postgres') throw new AppError('INPUT_INVALID', `key: this backup is a ${b.manifest.kind} backup, not a PostgreSQL dump`);
  await createDatabase(client, t, into);
  try {
    const [, done] = await Promise.all([loadDump(client, t, into, b.gzip), b.done]);
    const actual = await countRows(client, t, into);
    return { restoredInto: into, bytes: done.bytes, plainSha256: done.plainSha256, tables: [...actual].map(([table, rows]) => ({ table, rows })), rows: done.rows, content: done.content };
  } catch (e) {
    b.gzip.destroy();
    await dropDatabase(client, t, into).catch(() => {});
    // A decryption or digest error explains a psql failure better than psql's own message.
    const cause = await b.done.then(
      () => null,
      (err: unknown) => err,
    );
    throw cause instanceof AppError ? cause : e;
  }
}

async function restoreVolume(svc: BackupsService, jobId: string, key: string, serverId: string, volume: string): Promise<RestoreOutcome> {
  const client = await svc.d.docker.client(serverId);
  const volumes = await client.api.listVolumes({ filters: { name: [volume] } });
  if ((volumes.Volumes ?? []).some((v) => v.Name === volume)) throw new AppError('CONFLICT', `target.volume: a volume ${volume} already exists; restore into a new one`);
  const image = svc.d.databases.resolve(serverId, TOOLS_IMAGE);
  await ensureImage(client.api, image);
  const b = await svc.open(jobId, key);
  await client.api.createVolume({ Name: volume, Labels: { 'openpanel.restored-from': key.slice(0, 200) } });
  const name = `openpanel-restore-${randomBytes(4).toString('hex')}`;
  const c = await client.api.createContainer({ name, Image: image, Entrypoint: ['sleep', '3600'], Cmd: [], HostConfig: { Mounts: [{ Type: 'volume', Source: volume, Target: '/restore' }], NetworkMode: 'none' } });
  try {
    await c.start();
    const run = execInContainer(client, name, ['sh', '-c', 'gunzip -c | tar --numeric-owner -xpf - -C /restore'], { stdin: b.gzip, maxCollect: 20_000 });
    const [r, done] = await Promise.all([run, b.done]);
    if (r.code !== 0) throw new AppError('REMOTE_COMMAND_FAILED', `extracting into ${volume} failed: ${r.stderr.trim().slice(-600)}`);
    return { restoredInto: volume, bytes: done.bytes, plainSha256: done.plainSha256, tables: [] };
  } catch (e) {
    b.gzip.destroy();
    await c.remove({ force: true }).catch(() => {});
    await client.api.getVolume(volume).remove().catch(() => {});
    const cause = await b.done.then(
      () => null,
      (err: unknown) => err,
    );
    throw cause instanceof AppError ? cause : e;
  } finally {
    await c.remove({ force: true }).catch(() => {});
  }
}

export async function runRestore(svc: BackupsService, jobId: string, key: string, target: z.output<typeof RestoreTarget>): Promise<RestoreOutcome> {
  const job = svc.jobRow(jobId);
  if (target.kind === 'volume') return restoreVolume(svc, jobId, key, job.serverId, target.volume);
  const db = svc.d.databases.row(target.databaseId);
  const spec = engineOf(db.engine);
  if (target.kind === 'instance') {
    if (!spec.wholeInstance) throw new AppError('INPUT_INVALID', `target.kind: ${spec.label} backups restore into a database by name: use kind "database" with dbName`);
    return restoreRedis(svc, jobId, key, db.id, target.replace);
  }
  if (spec.wholeInstance) throw new AppError('INPUT_INVALID', `target.kind: ${spec.label} backups restore a whole instance: use kind "instance"`);
  if (db.engine !== 'postgres') {
    if (target.replace) throw new AppError('INPUT_INVALID', `target.replace: replacing a ${spec.label} database in place is not supported; restore it side by side under a new name`);
    if (db.engine === 'mongo') return restoreMongo(svc, jobId, key, db.id, target.dbName);
    const { rows: _rows, content: _content, ...out } = await restoreMy(svc, jobId, key, db.id, target.dbName);
    return out;
  }
  if (!target.replace) {
    const { rows: _rows, content: _content, ...out } = await restorePg(svc, jobId, key, target.databaseId, target.dbName);
    return out;
  }
  const s = stamp();
  const tmp = `${target.dbName}_restore_${s}`.slice(0, 63);
  const { rows: _rows, content: _content, ...out } = await restorePg(svc, jobId, key, target.databaseId, tmp);
  const client = await svc.d.docker.client(db.serverId);
  const t: PgTarget = { container: db.containerName, username: db.username, maintenanceDb: 'postgres' };
  try {
    if (await databaseExists(client, t, target.dbName)) await swapDatabases(client, t, target.dbName, tmp, s);
    else await execChecked(client, db.containerName, ['psql', '-U', db.username, '-d', 'postgres', '-c', `alter database "${tmp}" rename to "${target.dbName}"`], 'renaming');
  } catch (e) {
    await dropDatabase(client, t, tmp).catch(() => {});
    throw e;
  }
  return { ...out, restoredInto: target.dbName };
}

/** Restore into a throwaway database next to the source and compare rows per table with the dump; then drop it. */
export async function runVerify(svc: BackupsService, jobId: string, key: string): Promise<Verification> {
  const job = svc.jobRow(jobId);
  const source = JSON.parse(job.source) as BackupSource;
  const at = Date.now();
  if (source.kind !== 'database') {
    // Volumes: a full decrypt with both digests checked against the manifest.
    try {
      const b = await svc.open(jobId, key);
      b.gzip.resume();
      const done = await b.done;
      return { passed: b.manifest !== null, detail: b.manifest ? `decrypted ${done.bytes} bytes; digests match the manifest` : 'no manifest: the upload never completed', tables: [], at };
    } catch (e) {
      return { passed: false, detail: errorMessage(e), tables: [], at };
    }
  }
  const row = svc.d.databases.row(source.databaseId);
  if (row.engine === 'redis') return verifyRedis(svc, jobId, key, source.databaseId, at);
  if (row.engine === 'mariadb' || row.engine === 'mysql') return verifyMy(svc, jobId, key, source.databaseId, at);
  if (row.engine === 'mongo') return verifyMongo(svc, jobId, key, source.databaseId, at);
  const into = `opverify_${randomBytes(4).toString('hex')}`;
  const { serverId, t } = pgTargetOf(svc, source.databaseId);
  try {
    const restored = await restorePg(svc, jobId, key, source.databaseId, into);
    return compareTables(restored, await pgContent(await svc.d.docker.client(serverId), t, into), at);
  } catch (e) {
    return { passed: false, detail: errorMessage(e), tables: [], at };
  } finally {
    const client = await svc.d.docker.client(serverId);
    await dropDatabase(client, t, into).catch(() => {});
  }
}

/**
 * The restored database against the backup's dump, table by table: the row count, then the rows' content (the sum of
 * row digests of a fresh dump of the restored database, `actual`, against the backup's). Either differing fails.
 */
function compareTables(restored: DumpFacts & { bytes: number; tables: { table: string; rows: number }[] }, actual: DumpStats, at: number): Verification {
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

/** MariaDB/MySQL: restore into a throwaway database, compare each table's rows with the tuples in the dump, drop it. */
async function verifyMy(svc: BackupsService, jobId: string, key: string, databaseId: string, at: number): Promise<Verification> {
  const into = `opverify_${randomBytes(4).toString('hex')}`;
  const { serverId, t } = await myTargetOf(svc, databaseId);
  try {
    const restored = await restoreMy(svc, jobId, key, databaseId, into);
    return compareTables(restored, await myContent(await svc.d.docker.client(serverId), t, into), at);
  } catch (e) {
    return { passed: false, detail: errorMessage(e), tables: [], at };
  } finally {
    await myDropDatabase(await svc.d.docker.client(serverId), t, into).catch(() => {});
  }
}

/**
 * Redis: a throwaway Redis container (same image, no network, no snapshots) loads the RDB; `redis-check-rdb`
 * counts the keys in the file (and checks its CRC), the loaded server must hold exactly that many; digests match.
 */
async function verifyRedis(svc: BackupsService, jobId: string, key: string, databaseId: string, at: number): Promise<Verification> {
  const row = svc.d.databases.row(databaseId);
  const client = await svc.d.docker.client(row.serverId);
  const name = `openpanel-verify-${randomBytes(4).toString('hex')}`;
  const t: RedisTarget = { container: name, password: null };
  let created = false;
  try {
    const image = svc.d.databases.resolve(row.serverId, row.image);
    await ensureImage(client.api, image);
    const b = await svc.open(jobId, key);
    checkKind(b.manifest?.kind, ['redis'], 'Redis');
    const c = await client.api.createContainer({
      name,
      Image: image,
      Cmd: ['redis-server', '--save', '', '--appendonly', 'no'],
      Labels: { 'openpanel.role': 'backup-verify' },
      HostConfig: { NetworkMode: 'none' },
    });
    created = true;
    await c.start();
    const ready = async () => {
      for (let i = 0; i < 120; i++) {
        if (/PONG/.test(await redisCli(client, t, ['ping'], 'ping').catch(() => ''))) return;
        await new Promise((r) => setTimeout(r, 250));
      }
      throw new AppError('TIMEOUT', 'the throwaway Redis did not start within 30 s');
    };
    await ready();
    let expected = -1;
    try {
      await redisLoadRdb(client, t, gunzipped(b.gzip), b.done, async (path) => {
        expected = await redisCheckRdb(client, name, path);
        await c.stop({ t: 10 });
        await c.start();
      });
    } catch (e) {
      throw await causeOf(b, e);
    }
    const done = await b.done;
    await ready();
    const keys = await redisKeys(client, t);
    const actual = total(keys);
    return {
      passed: actual === expected,
      detail:
        actual === expected
          ? `loaded ${done.bytes} bytes into a throwaway Redis: ${actual} keys, as redis-check-rdb counted in the file; digests match the manifest`
          : `the throwaway Redis holds ${actual} keys, the file has ${expected}`,
      tables: [{ table: 'keys', expected, actual }],
      at,
    };
  } catch (e) {
    return { passed: false, detail: errorMessage(e), tables: [], at };
  } finally {
    if (created) await client.api.getContainer(name).remove({ force: true, v: true }).catch(() => {});
  }
}

/** MongoDB: mongorestore into a throwaway database must succeed and the digests match; per-collection counts are reported, not compared. */
async function verifyMongo(svc: BackupsService, jobId: string, key: string, databaseId: string, at: number): Promise<Verification> {
  const into = `opverify_${randomBytes(4).toString('hex')}`;
  const row = svc.d.databases.row(databaseId);
  const t: MongoTarget = { container: row.containerName, username: row.username, password: await svc.d.databases.password(row) };
  try {
    const r = await restoreMongo(svc, jobId, key, databaseId, into);
    const docs = r.tables.reduce((a, x) => a + x.rows, 0);
    return { passed: true, detail: `restored ${r.bytes} bytes into a throwaway database: ${r.tables.length} collections, ${docs} documents (counts not compared: the archive is not parsed); digests match the manifest`, tables: [], at };
  } catch (e) {
    return { passed: false, detail: errorMessage(e), tables: [], at };
  } finally {
    await mongoDrop(await svc.d.docker.client(row.serverId), t, into).catch(() => {});
  }
}
