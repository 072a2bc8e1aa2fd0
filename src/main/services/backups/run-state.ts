import { z } from 'zod';
import type { JobStatus } from '../../../shared/contract/backups.ts';
import { JobState } from '../jobs/index.ts';
import type { RunRecord } from './notices.ts';

/** A backup run's state.json (backup.bash `record`): the job model's state plus the run, its object and ms times. */
export const BackupRunState = JobState.extend({
  /** Who started it: the app's run id (OP_RUN_ID), or `cron-<ms>`. */
  run: z.string(),
  job: z.string(),
  key: z.string(),
  size: z.number(),
  startedMs: z.number(),
  atMs: z.number(),
});
export type BackupRunState = z.infer<typeof BackupRunState>;

/** The last run of a job as the contract shows it, from its state.json. */
export function runStatus(s: BackupRunState): JobStatus {
  const state = s.status === 'succeeded' ? 'ok' : s.status;
  return { jobId: s.job, state, startedAt: s.startedMs, finishedAt: s.atMs, key: s.key || null, size: s.size, error: s.error || null };
}

/**
 * A run record as backup.sh wrote a job's last run before the job layout (`/openpanel/status/<job>.json`, still read)
 * and still appends it to the job's run history (`<job>.history`, read for notices).
 */
const LegacyStatus = z.object({
  job: z.string(),
  state: z.enum(['running', 'ok', 'failed']),
  startedAt: z.number(),
  finishedAt: z.number(),
  key: z.string(),
  size: z.number(),
  error: z.string(),
});

/**
 * The last run of every job from the output of scheduler-ops.sh status: a run dir's state.json (`R <json>`) wins over the
 * job's status file of the older layout (`S <json>`), which is read for jobs that have not run since the script was
 * updated. Lines that do not parse (a file being rewritten) are skipped: read next time.
 */
export function parseStatuses(text: string): JobStatus[] {
  const fresh = new Map<string, JobStatus>();
  const legacy = new Map<string, JobStatus>();
  for (const line of text.split('\n')) {
    const kind = line.slice(0, 2);
    let value: unknown;
    try {
      value = JSON.parse(line.slice(2));
    } catch {
      continue;
    }
    if (kind === 'R ') {
      const r = BackupRunState.safeParse(value);
      if (r.success) fresh.set(r.data.job, runStatus(r.data));
    } else if (kind === 'S ') {
      const r = LegacyStatus.safeParse(value);
      if (r.success) legacy.set(r.data.job, { jobId: r.data.job, state: r.data.state, startedAt: r.data.startedAt, finishedAt: r.data.finishedAt, key: r.data.key || null, size: r.data.size, error: r.data.error || null });
    }
  }
  return [...new Map([...legacy, ...fresh]).values()];
}


/** The runs in the jobs' `.history` files (one record per line, the format above); a line being written is skipped. */
export function parseHistory(text: string): RunRecord[] {
  const out: RunRecord[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      continue;
    }
    const r = LegacyStatus.safeParse(value);
    if (r.success && r.data.state !== 'running') out.push({ jobId: r.data.job, state: r.data.state, startedAt: r.data.startedAt, finishedAt: r.data.finishedAt, error: r.data.error || null });
  }
  return out;
}
