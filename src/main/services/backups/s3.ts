import { DeleteObjectsCommand, GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import type { Readable } from 'node:stream';
import { BackupManifest, type BackupTarget } from '../../../shared/contract/backups.ts';
import { AppError, errorMessage } from '../core/errors.ts';

export interface S3Credentials {
  accessKeyId: string;
  secretAccessKey: string;
}

export interface ListedBackup {
  key: string;
  size: number;
  lastModified: number | null;
  manifest: BackupManifest | null;
}

const MAX_PAGES = 100;

/** The app's side of a target: list, read (streamed), delete. Uploads happen on the server (rclone). */
export class S3Target {
  readonly client: S3Client;
  readonly target: BackupTarget;

  constructor(target: BackupTarget, creds: S3Credentials) {
    this.target = target;
    this.client = new S3Client({
      endpoint: target.endpoint,
      region: target.region,
      forcePathStyle: target.pathStyle,
      credentials: creds,
      maxAttempts: 2,
    });
  }

  dirOf(jobId: string): string {
    return `${this.target.prefix ? `${this.target.prefix}/` : ''}${jobId}/`;
  }

  private fail(what: string, e: unknown): never {
    throw new AppError('REMOTE_COMMAND_FAILED', `S3 ${what} on ${this.target.endpoint} (bucket ${this.target.bucket}) failed: ${errorMessage(e)}`);
  }

  async list(jobId: string): Promise<ListedBackup[]> {
    const prefix = this.dirOf(jobId);
    const objects = new Map<string, { size: number; lastModified: number | null }>();
    let token: string | undefined;
    for (let page = 0; page < MAX_PAGES; page++) {
      const r = await this.client
        .send(new ListObjectsV2Command({ Bucket: this.target.bucket, Prefix: prefix, ContinuationToken: token }))
        .catch((e: unknown) => this.fail('listing', e));
      for (const o of r.Contents ?? []) if (o.Key) objects.set(o.Key, { size: o.Size ?? 0, lastModified: o.LastModified?.getTime() ?? null });
      if (!r.IsTruncated) break;
      token = r.NextContinuationToken;
    }
    const out: ListedBackup[] = [];
    for (const [key, o] of objects) {
      if (key.endsWith('.manifest.json')) continue;
      const manifest = objects.has(`${key}.manifest.json`) ? await this.manifest(key).catch(() => null) : null;
      out.push({ key, size: o.size, lastModified: o.lastModified, manifest });
    }
    return out.sort((a, b) => b.key.localeCompare(a.key));
  }

  async manifest(key: string): Promise<BackupManifest> {
    const r = await this.client.send(new GetObjectCommand({ Bucket: this.target.bucket, Key: `${key}.manifest.json` })).catch((e: unknown) => this.fail('reading the manifest', e));
    const text = await r.Body!.transformToString();
    return BackupManifest.parse(JSON.parse(text));
  }

  async read(key: string): Promise<Readable> {
    const r = await this.client.send(new GetObjectCommand({ Bucket: this.target.bucket, Key: key })).catch((e: unknown) => this.fail('download', e));
    return r.Body as Readable;
  }

  /**
   * Deletes a backup: the object and its manifest. A key that is not in the bucket is NOT_FOUND (not a silent
   * success), and a DeleteObjects answer listing per-key errors (HTTP 200 with <Error> entries) is a failure.
   */
  async remove(key: string): Promise<void> {
    await this.client.send(new HeadObjectCommand({ Bucket: this.target.bucket, Key: key })).catch((e: unknown) => {
      const status = (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
      if (status === 404) throw new AppError('NOT_FOUND', `key: no backup ${key} in bucket ${this.target.bucket}`);
      this.fail('reading the object', e);
    });
    const r = await this.client
      .send(new DeleteObjectsCommand({ Bucket: this.target.bucket, Delete: { Objects: [{ Key: key }, { Key: `${key}.manifest.json` }] } }))
      .catch((e: unknown) => this.fail('delete', e));
    const errors = (r.Errors ?? []).map((x) => `${x.Key ?? '?'}: ${x.Code ?? ''} ${x.Message ?? ''}`.trim());
    if (errors.length > 0) this.fail('delete', new Error(errors.join('; ')));
  }

  close(): void {
    this.client.destroy();
  }
}
