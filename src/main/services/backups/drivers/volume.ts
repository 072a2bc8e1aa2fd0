import { randomBytes } from 'node:crypto';
import type { Verification } from '../../../../shared/contract/backups.ts';
import { AppError, errorMessage } from '../../core/errors.ts';
import { execInContainer } from '../../docker/exec.ts';
import { ensureImage } from '../../docker/images.ts';
import { LABELS } from '../../docker/labels.ts';
import { DATA_IMAGE_MAPPING } from '../../databases/service.ts';
import { forGunzip } from '../codec.ts';
import { TOOLS_IMAGE } from '../scheduler.ts';
import { causeOf, type BackupRef, type RestoreContext, type RestoreOutcome } from './common.ts';

/** A named volume's tar: extracted into a new volume (never over an existing one) by a container of the tools image. */
export async function restoreVolume(ctx: RestoreContext, ref: BackupRef, serverId: string, volume: string): Promise<RestoreOutcome> {
  const client = await ctx.client(serverId);
  const volumes = await client.api.listVolumes({ filters: { name: [volume] } });
  if ((volumes.Volumes ?? []).some((v) => v.Name === volume)) throw new AppError('CONFLICT', `target.volume: a volume ${volume} already exists; restore into a new one`);
  const image = ctx.databases.resolve(serverId, TOOLS_IMAGE);
  await ensureImage(client.api, image, DATA_IMAGE_MAPPING);
  const b = await ctx.open(ref.jobId, ref.key);
  await client.api.createVolume({ Name: volume, Labels: { [LABELS.restoredFrom]: ref.key.slice(0, 200) } });
  const name = `openpanel-restore-${randomBytes(4).toString('hex')}`;
  const c = await client.api.createContainer({ name, Image: image, Entrypoint: ['sleep', '3600'], Cmd: [], HostConfig: { Mounts: [{ Type: 'volume', Source: volume, Target: '/restore' }], NetworkMode: 'none' } });
  try {
    await c.start();
    const { stdin, filter } = forGunzip(b);
    const run = execInContainer(client, name, ['sh', '-c', 'if [ "$1" = gunzip ]; then gunzip -c; else cat; fi | tar --numeric-owner -xpf - -C /restore', 'sh', filter], { stdin, maxCollect: 20_000 });
    const [r, done] = await Promise.all([run, b.done]);
    if (r.code !== 0) throw new AppError('REMOTE_COMMAND_FAILED', `extracting into ${volume} failed: ${r.stderr.trim().slice(-600)}`);
    return { restoredInto: volume, bytes: done.bytes, plainSha256: done.plainSha256, tables: [] };
  } catch (e) {
    const cause = await causeOf(b, e);
    await c.remove({ force: true }).catch(() => {});
    await client.api.getVolume(volume).remove().catch(() => {});
    throw cause;
  } finally {
    await c.remove({ force: true }).catch(() => {});
  }
}

/** Volumes: a full decrypt with both digests checked against the manifest. */
export async function verifyVolume(ctx: RestoreContext, ref: BackupRef, at: number): Promise<Verification> {
  try {
    const b = await ctx.open(ref.jobId, ref.key);
    b.compressed.resume();
    const done = await b.done;
    return { passed: b.manifest !== null, detail: b.manifest ? `decrypted ${done.bytes} bytes; digests match the manifest` : 'no manifest: the upload never completed', tables: [], at };
  } catch (e) {
    return { passed: false, detail: errorMessage(e), tables: [], at };
  }
}
