import { randomBytes } from 'node:crypto';
import type { z } from 'zod';
import type { BackupSource, RestoreTarget, Verification } from '../../../shared/contract/backups.ts';
import { AppError, errorMessage } from '../core/errors.ts';
import { execChecked, execInContainer } from '../databases/docker-exec.ts';
import { ensureImage } from '../databases/service.ts';
import { countRows, createDatabase, databaseExists, dropDatabase, loadDump, swapDatabases, type PgTarget } from './pg-restore.ts';
import { TOOLS_IMAGE } from './scheduler.ts';
import type { BackupsService } from './service.ts';

const stamp = () => new Date().toISOString().replace(/[-:]/g, '').replace(/\..*$/, '').toLowerCase();

function pgTargetOf(svc: BackupsService, databaseId: string): { serverId: string; t: PgTarget } {
  const row = svc.d.databases.row(databaseId);
  return { serverId: row.serverId, t: { container: row.containerName, username: row.username, maintenanceDb: 'postgres' } };
}

export interface RestoreOutcome {
  restoredInto: string;
  bytes: number;
  plainSha256: string;
  tables: { table: string; rows: number }[];
}

/** Restore into a fresh database (always): a new name side by side, or a temporary one swapped in for `replace`. */
async function restorePg(svc: BackupsService, jobId: string, key: string, databaseId: string, into: string): Promise<RestoreOutcome & { rows: Map<string, number> }> {
  const { serverId, t } = pgTargetOf(svc, databaseId);
  const client = await svc.d.docker.client(serverId);
  if (await databaseExists(client, t, into)) throw new AppError('CONFLICT', `target.dbName: a database ${into} already exists; choose a new name`);
  const b = await svc.open(jobId, key);
  if (b.manifest && b.manifest.kind !== 'postgres') throw new AppError('INPUT_INVALID', `key: this backup is a ${b.manifest.kind} backup, not a PostgreSQL dump`);
  await createDatabase(client, t, into);
  try {
    const [, done] = await Promise.all([loadDump(client, t, into, b.gzip), b.done]);
    const actual = await countRows(client, t, into);
    return { restoredInto: into, bytes: done.bytes, plainSha256: done.plainSha256, tables: [...actual].map(([table, rows]) => ({ table, rows })), rows: done.rows };
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
  if (!target.replace) {
    const { rows: _rows, ...out } = await restorePg(svc, jobId, key, target.databaseId, target.dbName);
    return out;
  }
  const s = stamp();
  const tmp = `${target.dbName}_restore_${s}`.slice(0, 63);
  const { rows: _rows, ...out } = await restorePg(svc, jobId, key, target.databaseId, tmp);
  const client = await svc.d.docker.client(db.serverId);
  const t: PgTarget = { container: db.containerName, username: db.username, maintenanceDb: 'postgres' };
  if (await databaseExists(client, t, target.dbName)) await swapDatabases(client, t, target.dbName, tmp, s);
  else await execChecked(client, db.containerName, ['psql', '-U', db.username, '-d', 'postgres', '-c', `alter database "${tmp}" rename to "${target.dbName}"`], 'renaming');
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
  const into = `opverify_${randomBytes(4).toString('hex')}`;
  const { serverId, t } = pgTargetOf(svc, source.databaseId);
  try {
    const r = await restorePg(svc, jobId, key, source.databaseId, into);
    const actual = new Map(r.tables.map((x) => [x.table, x.rows]));
    const tables = [...r.rows].map(([table, expected]) => ({ table, expected, actual: actual.get(table) ?? null }));
    const bad = tables.filter((x) => x.actual !== x.expected);
    return {
      passed: bad.length === 0,
      detail: bad.length === 0 ? `restored ${r.bytes} bytes into a throwaway database; ${tables.length} tables, row counts equal; digests match the manifest` : `row counts differ: ${bad.map((x) => `${x.table} ${x.actual ?? 'missing'} ≠ ${x.expected}`).join(', ')}`,
      tables,
      at,
    };
  } catch (e) {
    return { passed: false, detail: errorMessage(e), tables: [], at };
  } finally {
    const client = await svc.d.docker.client(serverId);
    await dropDatabase(client, t, into).catch(() => {});
  }
}
