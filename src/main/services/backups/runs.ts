import { randomBytes } from 'node:crypto';
import type { RunProgress } from '../../../shared/contract/backups.ts';
import { AppError } from '../core/errors.ts';
import type { DockerClient } from '../docker/client.ts';
import { execInContainer } from '../docker/exec.ts';
import { execRunning, followTracker, inContainerRead, JobTracker, type JobReader } from '../jobs/index.ts';
import type { BackupNotices } from './notices.ts';
import { BackupRunState } from './run-state.ts';
import { SCHEDULER_NAME, schedulerOp } from './scheduler.ts';

export const runDir = (jobId: string) => `/openpanel/runs/${jobId}`;
const lockOf = (jobId: string) => `/openpanel/locks/${jobId}.lock`;

/** What the run script says on stderr (its log): `estimate N`, dd's `N bytes`, `done KEY SIZE`, `backup failed: …`. */
export class RunLines {
  estimate: number | null = null;
  key: string | null = null;
  failure: string | null = null;
  private buf = '';

  /** Feeds more of the log; returns the progress events of the complete lines in it. */
  feed(chunk: string): RunProgress[] {
    this.buf += chunk;
    const lines = this.buf.split('\n');
    this.buf = lines.pop() ?? '';
    const out: RunProgress[] = [];
    for (const line of lines) {
      let m: RegExpExecArray | null;
      if ((m = /^estimate (\d+)/.exec(line))) this.estimate = Number(m[1]) || null;
      else if ((m = /^(\d+) bytes/.exec(line))) {
        const bytes = Number(m[1]);
        const progress = this.estimate ? Math.min(99, Math.floor((bytes / this.estimate) * 100)) : null;
        out.push({ phase: 'running', step: 'dumping', progress, bytes, estimate: this.estimate, key: this.key, error: null });
      } else if ((m = /^done (\S+) (\d+)/.exec(line))) this.key = m[1]!;
      else if ((m = /^backup failed: (.*)$/.exec(line))) this.failure = m[1]!;
    }
    return out;
  }
}

/**
 * One job's run dir in the scheduler, read inside the scheduler (the volume is there, the SSH user may not read it).
 * A state that is not `mine` (the previous run's, until this one has written its own) counts as none yet.
 * Alive while the run's exec runs or the job's lock is held (the script holds it for the whole run).
 */
export function runReader(client: DockerClient, jobId: string, mine: (s: BackupRunState) => boolean, execId: string | null): JobReader<BackupRunState> {
  const read = inContainerRead({ client, container: SCHEDULER_NAME, dir: runDir(jobId), schema: BackupRunState, what: `the backup run of ${jobId}` });
  return {
    async read(offset) {
      const got = await read(offset);
      if (got.state && !mine(got.state)) return { state: null, log: Buffer.alloc(0), pid: got.pid };
      return got;
    },
    async alive() {
      if (execId && (await execRunning(client, execId))) return true;
      return lockHeld(client, jobId);
    },
  };
}

/** Whether a run of the job holds its lock (backup.bash holds it for the whole run); no lock file: no run yet. */
export async function lockHeld(client: DockerClient, jobId: string): Promise<boolean> {
  const r = await execInContainer(client, SCHEDULER_NAME, schedulerOp('lock-held', lockOf(jobId)));
  if (r.code !== 0 && r.code !== 75) throw new AppError('REMOTE_COMMAND_FAILED', `checking whether a backup of ${jobId} runs failed (exit ${r.code}): ${r.stderr.trim().slice(-400)}`);
  return r.code === 75;
}

/** Starts the job's script detached in the scheduler (it runs on whether the app stays or not); returns the exec id. */
export async function startRun(client: DockerClient, jobId: string, run: string): Promise<string> {
  const exec = await client.api.getContainer(SCHEDULER_NAME).exec({ Cmd: ['/openpanel/bin/backup.sh', jobId], Env: ['OP_PROGRESS=1', `OP_RUN_ID=${run}`], AttachStdout: false, AttachStderr: false });
  await exec.start({ Detach: true });
  return exec.id;
}

const failed = (error: string, estimate: number | null): RunProgress => ({ phase: 'failed', step: null, progress: null, bytes: 0, estimate, key: null, error });

/**
 * "Back up now" on the job model: the run starts detached in the scheduler (same script as cron) and is followed
 * through its run dir until it ends. A run of the job already going (started before an app restart, or by cron) is
 * attached to instead of started again. Cancelling stops the watching, not the run.
 */
export async function* runNow(client: DockerClient, notices: BackupNotices, jobId: string, signal: AbortSignal): AsyncGenerator<RunProgress> {
  yield { phase: 'starting', step: 'starting', progress: null, bytes: 0, estimate: null, key: null, error: null };
  let mine: (s: BackupRunState) => boolean;
  let execId: string | null = null;
  if (await lockHeld(client, jobId)) {
    // A run holds the lock: the one in state.json, or (when that one has ended) a run that has not written its state yet.
    const current = (await runReader(client, jobId, () => true, null).read(0)).state;
    mine = current?.status === 'running' ? (s) => s.run === current.run : (s) => s.run !== current?.run;
  } else {
    const run = `run-${Date.now()}-${randomBytes(4).toString('hex')}`;
    execId = await startRun(client, jobId, run);
    mine = (s) => s.run === run;
  }
  const tracker = new JobTracker(runReader(client, jobId, mine, execId), { intervalMs: 500, maxMs: 12 * 3600_000 }).start();
  const lines = new RunLines();
  let fed = 0;
  try {
    for await (const t of followTracker(tracker, signal)) {
      const fresh = t.log.slice(fed);
      fed = t.log.length;
      yield* lines.feed(fresh);
    }
  } finally {
    tracker.stop();
  }
  const state = tracker.state;
  // This run was watched: it needs no notice at the next connection.
  if (state && state.status !== 'running') notices.markSeen(jobId, state.atMs);
  if (tracker.outcome === 'succeeded' && state?.key) {
    yield { phase: 'done', step: 'done', progress: 100, bytes: 0, estimate: lines.estimate, key: state.key, error: null };
  } else if (tracker.outcome === 'failed') {
    yield failed(state?.error || lines.failure || 'the backup failed', lines.estimate);
  } else if (tracker.outcome === 'timeout') {
    yield failed('the backup was still running after 12 hours; it goes on on the server', lines.estimate);
  } else {
    const said = tracker.log.trim().split('\n').slice(-3).join(' / ').slice(-600);
    yield failed(`the backup run ended without a result${said ? `: ${said}` : ''}`, lines.estimate);
  }
}
