import SCRIPT from './backup.bash?raw';

/**
 * The job runner (backup.bash) that OpenPanel writes into the backup scheduler container (`/openpanel/bin/backup.sh`).
 * It is a constant: per-job values live in `/openpanel/jobs/<id>.job` as `KEY=<base64>` lines and are read
 * with `get KEY` (decoded, never sourced or evaluated), so no value can become shell code.
 *
 * Kinds: postgres (pg_dump), mariadb/mysql (mariadb-dump/mysqldump --single-transaction), redis (`redis-cli --rdb`),
 * mongo (mongodump --archive), volume (tar).
 *
 * One run: native dump → tee (sha256 of the plaintext) → zstd -T0 (gzip without zstd in the image; see codec.ts) →
 * age (public key only) → tee (sha256 + size of the object) → `rclone rcat` (streamed, multipart). The object counts only once its manifest is written next
 * to it; a failed stage deletes the partial object and records the failure in `/openpanel/status/<id>.json`.
 * Retention runs only after a successful upload and manifest.
 */
export const BACKUP_SCRIPT: string = SCRIPT;

/** The crontab of the scheduler (busybox crond, UTC). Each line runs the constant script with a validated job id. */
export function renderCrontab(jobs: readonly { id: string; schedule: string; enabled: boolean }[]): string {
  const lines = ['# Written by OpenPanel. Edits are overwritten.'];
  for (const j of jobs) {
    if (!j.enabled) continue;
    if (!/^[A-Za-z0-9_-]+$/.test(j.id)) throw new Error(`bad job id ${j.id}`);
    lines.push(`${j.schedule} /openpanel/bin/backup.sh ${j.id} >> /openpanel/status/${j.id}.log 2>&1`);
  }
  return `${lines.join('\n')}\n`;
}

/** A job file: one `KEY=<base64>` line per value; the script decodes them and never evaluates them. */
export function renderJobFile(values: Record<string, string>): string {
  return Object.entries(values)
    .map(([k, v]) => {
      if (!/^[A-Z_]+$/.test(k)) throw new Error(`bad job key ${k}`);
      return `${k}=${Buffer.from(v, 'utf8').toString('base64')}`;
    })
    .join('\n')
    .concat('\n');
}
