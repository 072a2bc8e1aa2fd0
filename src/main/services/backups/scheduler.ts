import { Readable } from 'node:stream';
import type Docker from 'dockerode';
import type { JobStatus } from '../../../shared/contract/backups.ts';
import { BACKUP_TOOLS_IMAGE } from '../../../shared/contract/images.ts';
import type { DockerClient } from '../docker/client.ts';
import { isDockerNotFound } from '../docker/errors.ts';
import { execChecked, execInContainer } from '../docker/exec.ts';
import { ensureImage } from '../docker/images.ts';
import { LABELS, ROLES } from '../docker/labels.ts';
import { DATA_IMAGE_MAPPING } from '../databases/service.ts';
import { BACKUP_SCRIPT, renderCrontab, renderJobFile } from './script.ts';
import type { RunRecord } from './notices.ts';
import { parseHistory, parseStatuses } from './run-state.ts';
import { keptSince, metricLabels, METRICS_DIR, METRICS_VOLUME, scheduleFile, scheduleMetrics } from './signals.ts';
import SCHEDULER_OPS from './scheduler-ops.sh?raw';

export const SCHEDULER_NAME = 'openpanel-backup-scheduler';

export { SCHEDULER_OPS };
/** Argv of one operation of scheduler-ops.sh (a constant script; the values are its arguments). */
export const schedulerOp = (op: 'write' | 'prune' | 'status' | 'history' | 'lock-held' | 'busy' | 'metrics' | 'prune-metrics', ...args: string[]) => ['sh', '-c', SCHEDULER_OPS, 'sh', op, ...args];
export const SCHEDULER_VOLUME = 'openpanel-backup';
/** Tools image (see the contract's BACKUP_TOOLS_IMAGE). Mappable per server. */
export const TOOLS_IMAGE = BACKUP_TOOLS_IMAGE;

export interface SchedulerJob {
  id: string;
  schedule: string;
  enabled: boolean;
  /** KEY → value, written base64-encoded to /openpanel/jobs/<id>.job (0600, root only). */
  values: Record<string, string>;
  /** A named volume to mount read-only at /volumes/<name>. */
  volume: string | null;
}

/** Mounts of the scheduler: its own volume, the textfile metrics volume (Watch signals), the volumes backed up. */
function mounts(volumes: string[]): Docker.MountSettings[] {
  return [
    { Type: 'volume', Source: SCHEDULER_VOLUME, Target: '/openpanel' },
    { Type: 'volume', Source: METRICS_VOLUME, Target: METRICS_DIR },
    ...volumes.map((v) => ({ Type: 'volume' as const, Source: v, Target: `/volumes/${v}`, ReadOnly: true })),
  ];
}

/**
 * The per-server scheduler: one container (busybox crond, host network so it reaches the databases' loopback
 * ports and the S3 endpoint) with a volume holding the script, the crontab, the job files and the status files.
 * It runs on the server whether or not OpenPanel is open. Config is written through `docker exec` with stdin.
 */
export class BackupScheduler {
  private readonly client: DockerClient;
  private readonly image: string;

  constructor(client: DockerClient, image: string) {
    this.client = client;
    this.image = image;
  }

  private get api(): Docker {
    return this.client.api;
  }

  /**
   * Creates or recreates the scheduler when its image or volume mounts differ from what the jobs need. One made before
   * the metrics volume is recreated too, but not while a run holds its lock (it would be killed): the next sync does.
   */
  async ensure(volumes: string[]): Promise<void> {
    const want = [...new Set(volumes)].sort();
    const info: Docker.ContainerInspectInfo | null = await this.api
      .getContainer(SCHEDULER_NAME)
      .inspect()
      .catch(() => null);
    if (info) {
      const have = (info.Mounts ?? [])
        .filter((m) => m.Destination.startsWith('/volumes/'))
        .map((m) => m.Name ?? '')
        .sort();
      const same = info.Config.Image === this.image && JSON.stringify(have) === JSON.stringify(want);
      const metrics = (info.Mounts ?? []).some((m) => m.Name === METRICS_VOLUME && m.Destination === METRICS_DIR);
      if (same && !metrics && info.State.Running && (await this.busy())) return;
      if (same && metrics) {
        if (!info.State.Running) await this.api.getContainer(SCHEDULER_NAME).start();
        return;
      }
      await this.api.getContainer(SCHEDULER_NAME).remove({ force: true });
    }
    await ensureImage(this.api, this.image, DATA_IMAGE_MAPPING);
    const c = await this.api.createContainer({
      name: SCHEDULER_NAME,
      Image: this.image,
      Entrypoint: ['sh', '-c', 'mkdir -p /openpanel/crontabs /openpanel/status /openpanel/jobs && exec busybox crond -f -l 8 -L /dev/stderr -c /openpanel/crontabs'],
      Cmd: [],
      Env: ['TZ=UTC', 'PATH=/usr/lib/postgresql/15/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'],
      Labels: { [LABELS.role]: ROLES.backupScheduler },
      HostConfig: {
        NetworkMode: 'host',
        RestartPolicy: { Name: 'unless-stopped' },
        Mounts: mounts(want),
      },
    });
    await c.start();
  }

  async writeFile(path: string, content: string, mode: string): Promise<void> {
    await execChecked(
      this.client,
      SCHEDULER_NAME,
      schedulerOp('write', path, mode),
      `writing ${path} on the server`,
      { stdin: Readable.from([Buffer.from(content, 'utf8')]) },
    );
  }

  /** Writes the script, every job file and the crontab, removes stale job files, and tells crond to reload. */
  async sync(jobs: SchedulerJob[]): Promise<void> {
    await this.ensure(jobs.map((j) => j.volume).filter((v): v is string => Boolean(v)));
    await this.writeFile('/openpanel/bin/backup.sh', BACKUP_SCRIPT, '755');
    for (const j of jobs) {
      const labels = metricLabels({ jobId: j.id, jobName: j.values.JOB_NAME ?? j.id, database: j.values.DATABASE ?? '' });
      await this.writeFile(`/openpanel/jobs/${j.id}.job`, renderJobFile({ ...j.values, METRIC_LABELS: labels }), '600');
    }
    const keep = jobs.map((j) => `${j.id}.job`);
    await execChecked(this.client, SCHEDULER_NAME, schedulerOp('prune', ...keep), 'removing old jobs');
    await this.writeFile('/openpanel/crontabs/root', renderCrontab(jobs), '600');
    await this.writeFile('/openpanel/crontabs/cron.update', 'root\n', '600');
    await this.syncSignals(jobs);
  }

  /** Whether a run of any job holds its lock now. */
  async busy(): Promise<boolean> {
    const r = await execInContainer(this.client, SCHEDULER_NAME, schedulerOp('busy'));
    return r.code === 75;
  }

  /**
   * The schedule files of the textfile volume: one per scheduled job (kept `since` while its schedule stays the same),
   * none for jobs unscheduled; run files of jobs that are gone are removed with them. Skipped on a scheduler without
   * the metrics volume (kept while a run went on).
   */
  private async syncSignals(jobs: SchedulerJob[]): Promise<void> {
    const r = await execInContainer(this.client, SCHEDULER_NAME, schedulerOp('metrics'));
    if (r.code !== 0) return;
    const kept = keptSince(r.stdout);
    const now = Math.floor(Date.now() / 1000);
    const scheduled: string[] = [];
    for (const j of jobs) {
      if (!j.enabled) continue;
      const schedule = j.schedule.trim().replace(/[ \t]+/g, ' ');
      const old = kept.get(j.id);
      const text = scheduleMetrics({ jobId: j.id, jobName: j.values.JOB_NAME ?? j.id, database: j.values.DATABASE ?? '', schedule, since: old?.schedule === schedule ? old.since : now });
      if (!text) continue;
      await this.writeFile(scheduleFile(j.id), text, '644');
      scheduled.push(j.id);
    }
    await execChecked(this.client, SCHEDULER_NAME, schedulerOp('prune-metrics', scheduled.join(' '), jobs.map((j) => j.id).join(' ')), 'removing old backup metrics');
  }

  /** The last run of each job, as the job itself recorded it on the server (run dirs; status files of the older layout). */
  async statuses(): Promise<JobStatus[]> {
    try {
      return parseStatuses(await execChecked(this.client, SCHEDULER_NAME, schedulerOp('status'), 'reading backup status'));
    } catch (e) {
      if (isDockerNotFound(e)) return [];
      throw e;
    }
  }

  /** Every run recorded in the jobs' histories on the server (the last 50 per job). */
  async histories(): Promise<RunRecord[]> {
    let text: string;
    try {
      text = await execChecked(this.client, SCHEDULER_NAME, schedulerOp('history'), 'reading backup history');
    } catch (e) {
      if (isDockerNotFound(e)) return [];
      throw e;
    }
    return parseHistory(text);
  }
}
