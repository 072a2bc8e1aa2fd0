import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import type { BackupObject, BackupTarget } from '../../../shared/contract/backups.ts';
import { AppError } from '../core/errors.ts';
import type { SecretsService } from '../secrets/service.ts';
import { codecOf, decompressed, KEY_TAIL } from './codec.ts';
import { causeOf, type OpenedBackup } from './drivers/common.ts';
import { decryptBackup } from './restore.ts';
import { S3Target } from './s3.ts';
import type { BackupStore, TargetRow } from './store.ts';

export function targetView(r: TargetRow): BackupTarget {
  return { id: r.id, name: r.name, endpoint: r.endpoint, region: r.region, bucket: r.bucket, prefix: r.prefix, pathStyle: r.pathStyle, recipient: r.recipient, createdAt: r.createdAt };
}

/**
 * A key of this job's backups, exactly as the job script names them (`<prefix>/<job>/<UTC stamp>.<ext>.<zst|gz>.age`):
 * nothing else under the job's folder (manifests), and no further path segments (`../other-job/…`, which some
 * S3 servers resolve as a path).
 */
export function checkKey(s3: S3Target, jobId: string, key: string): void {
  const dir = s3.dirOf(jobId);
  if (!key.startsWith(dir) || !KEY_TAIL.test(key.slice(dir.length))) {
    throw new AppError('INPUT_INVALID', `key: ${key} is not a backup of this job (expected ${dir}<timestamp>.<kind>.zst.age or .gz.age)`);
  }
}

/** The app's side of the backups in a target: list, delete, open (decrypt and check), download. */
export class BackupReader {
  private readonly store: BackupStore;
  private readonly secrets: SecretsService;

  constructor(deps: { store: BackupStore; secrets: SecretsService }) {
    this.store = deps.store;
    this.secrets = deps.secrets;
  }

  async s3(targetId: string): Promise<S3Target> {
    const r = this.store.target(targetId);
    return new S3Target(targetView(r), {
      accessKeyId: await this.secrets.require(r.accessKeyRef, 'the S3 access key id'),
      secretAccessKey: await this.secrets.require(r.secretKeyRef, 'the S3 secret access key'),
    });
  }

  async list(jobId: string): Promise<BackupObject[]> {
    const job = this.store.job(jobId);
    const s3 = await this.s3(job.targetId);
    try {
      const verifications = this.store.verifications(jobId);
      return (await s3.list(jobId)).map((o) => ({ ...o, verification: verifications.get(o.key) ?? null }));
    } finally {
      s3.close();
    }
  }

  async remove(jobId: string, key: string): Promise<boolean> {
    const s3 = await this.s3(this.store.job(jobId).targetId);
    try {
      checkKey(s3, jobId, key);
      await s3.remove(key);
      return true;
    } finally {
      s3.close();
    }
  }

  /** Opens a backup for reading: manifest, decryption with the key from the keychain, digests checked at the end. */
  async open(jobId: string, key: string): Promise<OpenedBackup> {
    const job = this.store.job(jobId);
    const t = this.store.target(job.targetId);
    const s3 = await this.s3(job.targetId);
    let decrypted: Awaited<ReturnType<typeof decryptBackup>>;
    let manifest: Awaited<ReturnType<S3Target['manifest']>> | null;
    try {
      checkKey(s3, jobId, key);
      manifest = await s3.manifest(key).catch(() => null);
      const identity = await this.secrets.require(t.identityRef, 'the age private key of this target');
      const codec = codecOf(key, manifest);
      decrypted = await decryptBackup(await s3.read(key), identity, manifest, codec);
    } catch (e) {
      s3.close();
      throw e;
    }
    decrypted.done.finally(() => s3.close()).catch(() => {});
    return { manifest, ...decrypted };
  }

  /**
   * Decrypts a backup into a local file (the gzip of the dump, 0600, whatever the backup's codec: a zstd backup is
   * recompressed here). It is written next to `path` and renamed into place only once decryption finished and both
   * digests match the manifest: a corrupted backup leaves no file. `bytes` is the size of the plaintext (the dump).
   */
  async download(jobId: string, key: string, path: string): Promise<{ path: string; bytes: number }> {
    const b = await this.open(jobId, key);
    const partial = `${path}.partial-${randomUUID().slice(0, 8)}`;
    try {
      const file = createWriteStream(partial, { mode: 0o600, flags: 'wx' });
      await (b.codec === 'gzip' ? pipeline(b.compressed, file) : pipeline(decompressed(b), createGzip({ level: 3 }), file));
      const done = await b.done;
      await rename(partial, path);
      return { path, bytes: done.bytes };
    } catch (e) {
      const cause = await causeOf(b, e);
      await rm(partial, { force: true });
      throw cause;
    }
  }
}
