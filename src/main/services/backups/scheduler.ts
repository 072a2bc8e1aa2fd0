import { Readable } from 'node:stream';
import type Docker from 'dockerode';
import type { JobStatus } from '../../../shared/contract/backups.ts';
import { BACKUP_TOOLS_IMAGE } from '../../../shared/contract/images.ts';
import type { DockerClient } from '../docker/client.ts';
import { isDockerNotFound } from '../docker/errors.ts';
import { execChecked } from '../docker/exec.ts';
import { ensureImage } from '../docker/images.ts';
import { LABELS, ROLES } from '../docker/labels.ts';
import { DATA_IMAGE_MAPPING } from '../databases/service.ts';
import { BACKUP_SCRIPT, renderCrontab, renderJobFile } from './script.ts';
import type { RunRecord } from './notices.ts';
import { parseHistory, parseStatuses } from './run-state.ts';
import SCHEDULER_OPS from './scheduler-ops.sh?raw';

export const SCHEDULER_NAME = 'openpanel-backup-scheduler';

export { SCHEDULER_OPS };
/** Argv of one operation of scheduler-ops.sh (a constant script; the values are its arguments). */
export const schedulerOp = (op: 'write' | 'prune' | 'status' | 'history' | 'lock-held', ...args: string[]) => ['sh', '-c', SCHEDULER_OPS, 'sh', op, ...args];
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

  /** Creates or recreates the scheduler when its image or volume mounts differ from what the jobs need. */
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
      if (same) {
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
        Mounts: [
          { Type: 'volume', Source: SCHEDULER_VOLUME, Target: '/openpanel' },
          ...want.map((v) => ({ Type: 'volume' as const, Source: v, Target: `/volumes/${v}`, ReadOnly: true })),
        ],
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
    for (const j of jobs) await this.writeFile(`/openpanel/jobs/${j.id}.job`, renderJobFile({ ...j.values }), '600');
    const keep = jobs.map((j) => `${j.id}.job`);
    await execChecked(this.client, SCHEDULER_NAME, schedulerOp('prune', ...keep), 'removing old jobs');
    await this.writeFile('/openpanel/crontabs/root', renderCrontab(jobs), '600');
    await this.writeFile('/openpanel/crontabs/cron.update', 'root\n', '600');
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
