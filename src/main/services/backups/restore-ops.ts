import { randomBytes } from 'node:crypto';
import type { z } from 'zod';
import type { RestoreTarget, Verification } from '../../../shared/contract/backups.ts';
import { AppError, errorMessage } from '../core/errors.ts';
import { engineOf } from '../databases/engines.ts';
import { causeOf, checkKind, type BackupRef, type Restored, type RestoreContext, type RestoreOutcome } from './drivers/common.ts';
import { driverOf } from './drivers/index.ts';
import type { DatabaseDriver, DatabaseOps } from './drivers/types.ts';
import { restoreVolume, verifyVolume } from './drivers/volume.ts';

export type { RestoreContext, RestoreOutcome } from './drivers/common.ts';

const stamp = () => new Date().toISOString().replace(/[-:]/g, '').replace(/\..*$/, '').toLowerCase();

/** Into a new database `into` (created here, dropped again on any failure); refused when it exists. */
async function restoreInto(ctx: RestoreContext, driver: DatabaseDriver, ops: DatabaseOps, ref: BackupRef, into: string): Promise<Restored> {
  if (await ops.exists(into)) throw new AppError('CONFLICT', `target.dbName: a database ${into} already exists; choose a new name`);
  const b = await ctx.open(ref.jobId, ref.key);
  checkKind(b.manifest?.kind, driver.kinds, driver.what);
  await ops.create(into);
  try {
    const [, done] = await Promise.all([ops.load(into, b), b.done]);
    const actual = await ops.count(into);
    return { restoredInto: into, bytes: done.bytes, plainSha256: done.plainSha256, tables: [...actual].map(([table, rows]) => ({ table, rows })), rows: done.rows, content: done.content };
  } catch (e) {
    const cause = await causeOf(b, e);
    await ops.drop(into).catch(() => {});
    throw cause;
  }
}

const outcome = ({ rows: _rows, content: _content, ...out }: Restored): RestoreOutcome => out;

export async function runRestore(ctx: RestoreContext, ref: BackupRef, target: z.output<typeof RestoreTarget>): Promise<RestoreOutcome> {
  const job = ctx.job(ref.jobId);
  if (target.kind === 'volume') return restoreVolume(ctx, ref, job.serverId, target.volume);
  const row = ctx.databases.row(target.databaseId);
  const spec = engineOf(row.engine);
  const driver = driverOf(row.engine);
  if (target.kind === 'instance') {
    if (driver.scope !== 'instance') throw new AppError('INPUT_INVALID', `target.kind: ${spec.label} backups restore into a database by name: use kind "database" with dbName`);
    return driver.restore(ctx, ref, row, target.replace);
  }
  if (driver.scope === 'instance') throw new AppError('INPUT_INVALID', `target.kind: ${spec.label} backups restore a whole instance: use kind "instance"`);
  const ops = await driver.ops(ctx, row, ref);
  if (!target.replace) return outcome(await restoreInto(ctx, driver, ops, ref, target.dbName));
  if (!ops.replace) throw new AppError('INPUT_INVALID', `target.replace: replacing a ${spec.label} database in place is not supported; restore it side by side under a new name`);
  // In place: restored side by side under a temporary name, then swapped in.
  const s = stamp();
  const tmp = `${target.dbName}_restore_${s}`.slice(0, 63);
  const out = outcome(await restoreInto(ctx, driver, ops, ref, tmp));
  try {
    await ops.replace(target.dbName, tmp, s);
  } catch (e) {
    await ops.drop(tmp).catch(() => {});
    throw e;
  }
  return { ...out, restoredInto: target.dbName };
}

/** Restore into a throwaway database next to the source and compare it with the dump (per driver); then drop it. */
export async function runVerify(ctx: RestoreContext, ref: BackupRef): Promise<Verification> {
  const source = ctx.job(ref.jobId).source;
  const at = Date.now();
  if (source.kind !== 'database') return verifyVolume(ctx, ref, at);
  const row = ctx.databases.row(source.databaseId);
  const driver = driverOf(row.engine);
  if (driver.scope === 'instance') return driver.verify(ctx, ref, row, at);
  const into = `opverify_${randomBytes(4).toString('hex')}`;
  const ops = await driver.ops(ctx, row, ref);
  try {
    return await ops.check(into, await restoreInto(ctx, driver, ops, ref, into), at);
  } catch (e) {
    return { passed: false, detail: errorMessage(e), tables: [], at };
  } finally {
    await ops.drop(into).catch(() => {});
  }
}
