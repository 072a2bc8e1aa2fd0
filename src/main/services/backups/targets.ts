import type { z } from 'zod';
import type { TargetTest, TestTargetInput, UpdateTargetInput } from '../../../shared/contract/backups.ts';
import { AppError, errorMessage } from '../core/errors.ts';
import type { SecretsService } from '../secrets/service.ts';
import { probeTarget, type ProbePlace } from './s3-probe.ts';
import type { S3Credentials } from './s3.ts';
import type { BackupStore, JobRecord, TargetRow } from './store.ts';

export interface TargetOpsDeps {
  store: BackupStore;
  secrets: SecretsService;
  /** Rewrites a server's scheduler (its job files carry the target's endpoint and keys). */
  sync(serverId: string): Promise<void>;
  /** What a job backs up, for messages. */
  label(job: JobRecord): string;
}

const place = (p: ProbePlace): ProbePlace => ({ endpoint: p.endpoint.replace(/\/+$/, ''), region: p.region, bucket: p.bucket, prefix: p.prefix, pathStyle: p.pathStyle });

/** A failed probe as the save's error: INPUT_INVALID naming the field most likely wrong. */
export function refuseUntested(t: TargetTest): void {
  if (!t.passed) throw new AppError('INPUT_INVALID', `${t.field ?? 'endpoint'}: ${t.detail}`);
}

/** Editing, testing and removing backup targets (creation stays in the service: it makes the age key pair). */
export class TargetOps {
  private readonly deps: TargetOpsDeps;

  constructor(deps: TargetOpsDeps) {
    this.deps = deps;
  }

  /** The keys to use: the given ones, or (left empty, with a stored target) the stored ones. */
  private async creds(row: TargetRow | null, given: { accessKeyId?: string | undefined; secretAccessKey?: string | undefined }): Promise<S3Credentials> {
    const { secrets } = this.deps;
    const accessKeyId = given.accessKeyId || (row ? await secrets.require(row.accessKeyRef, 'the S3 access key id') : '');
    const secretAccessKey = given.secretAccessKey || (row ? await secrets.require(row.secretKeyRef, 'the S3 secret access key') : '');
    if (!accessKeyId) throw new AppError('INPUT_INVALID', 'accessKeyId: expected an access key id');
    if (!secretAccessKey) throw new AppError('INPUT_INVALID', 'secretAccessKey: expected a secret access key');
    return { accessKeyId, secretAccessKey };
  }

  async test(input: z.output<typeof TestTargetInput>): Promise<TargetTest> {
    const row = input.id ? this.deps.store.target(input.id) : null;
    return probeTarget(place(input), await this.creds(row, input));
  }

  /** Changes a target in place (same id, same age key); the servers whose jobs use it get their job files rewritten. */
  async update(input: z.output<typeof UpdateTargetInput>): Promise<TargetRow> {
    const { store, secrets } = this.deps;
    const row = store.target(input.id);
    if (input.test) refuseUntested(await probeTarget(place(input), await this.creds(row, input)));
    if (input.accessKeyId) await secrets.replace(row.accessKeyRef, `backup target ${input.name}: access key id`, 's3-access-key', input.accessKeyId);
    if (input.secretAccessKey) await secrets.replace(row.secretKeyRef, `backup target ${input.name}: secret access key`, 's3-secret-key', input.secretAccessKey);
    store.updateTarget(input.id, { name: input.name, ...place(input) });
    await this.syncServers(store.jobsOfTarget(input.id), 'the changed target');
    return store.target(input.id);
  }

  /**
   * Refused while jobs use the target (naming them), unless `removeJobs`: then the jobs go first and their servers'
   * schedules are rewritten. Returns the ids of the removed jobs; the caller removes the target's secrets and row.
   */
  async removeJobsOf(targetId: string, removeJobs: boolean): Promise<string[]> {
    const { store } = this.deps;
    const jobs = store.jobsOfTarget(targetId);
    if (jobs.length === 0) return [];
    if (!removeJobs) {
      const names = jobs.map((j) => this.deps.label(j)).join(', ');
      throw new AppError('CONFLICT', `id: ${jobs.length === 1 ? 'a backup job uses' : `${jobs.length} backup jobs use`} this target (${names}); remove ${jobs.length === 1 ? 'it' : 'them'} first, or delete the target with ${jobs.length === 1 ? 'its job' : 'its jobs'}`, { jobs: jobs.map((j) => j.id) });
    }
    for (const j of jobs) store.deleteJob(j.id);
    await this.syncServers(jobs, 'the removed jobs');
    return jobs.map((j) => j.id);
  }

  private async syncServers(jobs: JobRecord[], what: string): Promise<void> {
    const failed: string[] = [];
    for (const serverId of new Set(jobs.map((j) => j.serverId))) {
      try {
        await this.deps.sync(serverId);
      } catch (e) {
        failed.push(`${serverId}: ${errorMessage(e)}`);
      }
    }
    if (failed.length > 0) throw new AppError('REMOTE_COMMAND_FAILED', `saved, but the schedules on ${failed.length === 1 ? 'one server' : `${failed.length} servers`} could not be rewritten for ${what} (they are rewritten at the next change): ${failed.join('; ')}`);
  }
}
