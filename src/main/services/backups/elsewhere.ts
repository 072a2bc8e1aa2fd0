import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import type { ForeignJob } from '../../../shared/contract/backup-keys.ts';
import { errorMessage, AppError } from '../core/errors.ts';
import type { BackupReader } from './reader.ts';
import type { BackupStore } from './store.ts';

const JOB_DIR = /^job_[0-9a-f]{16}$/;
const MAX_PAGES = 20;

/**
 * The job folders in a target that no job here writes: backups made by OpenPanel on another computer (a lost
 * one), which a job created with `adopt` continues and lists.
 */
export async function foreignJobs(deps: { reader: BackupReader; store: BackupStore }, targetId: string): Promise<ForeignJob[]> {
  const local = new Set(deps.store.jobs().map((j) => j.id));
  const s3 = await deps.reader.s3(targetId);
  try {
    const base = s3.target.prefix ? `${s3.target.prefix}/` : '';
    const ids: string[] = [];
    let token: string | undefined;
    for (let page = 0; page < MAX_PAGES; page++) {
      const r = await s3.client.send(new ListObjectsV2Command({ Bucket: s3.target.bucket, Prefix: base, Delimiter: '/', ContinuationToken: token })).catch((e: unknown) => {
        throw new AppError('REMOTE_COMMAND_FAILED', `S3 listing on ${s3.target.endpoint} (bucket ${s3.target.bucket}) failed: ${errorMessage(e)}`);
      });
      for (const p of r.CommonPrefixes ?? []) {
        const id = p.Prefix?.slice(base.length).replace(/\/$/, '') ?? '';
        if (JOB_DIR.test(id) && !local.has(id)) ids.push(id);
      }
      if (!r.IsTruncated) break;
      token = r.NextContinuationToken;
    }
    const out: ForeignJob[] = [];
    for (const jobId of ids) {
      const backups = (await s3.list(jobId)).filter((o) => o.manifest);
      const latest = backups[0];
      if (latest) out.push({ jobId, backups: backups.length, latestKey: latest.key, kind: latest.manifest!.kind, latestAt: latest.manifest!.createdAt });
    }
    return out;
  } finally {
    s3.close();
  }
}
