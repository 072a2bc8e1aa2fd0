import type { RunProgress } from '../../../shared/contract/backups.ts';
import { errorMessage } from '../core/errors.ts';
import type { BackupNotices } from './notices.ts';
import type { BackupScheduler } from './scheduler.ts';

/** What the run script says on stderr while it runs (backup.sh: `estimate N`, dd's `N bytes`, `done KEY SIZE`, `backup failed: …`). */
export class RunLines {
  estimate: number | null = null;
  key: string | null = null;
  failure: string | null = null;
  private buf = '';

  /** Feeds a chunk of stderr; returns the progress events of the complete lines in it. */
  feed(chunk: string): RunProgress[] {
    this.buf += chunk;
    const lines = this.buf.split('\n');
    this.buf = lines.pop() ?? '';
    const out: RunProgress[] = [];
    for (const line of lines) {
      let m: RegExpExecArray | null;
      if ((m = /^estimate (\d+)/.exec(line))) this.estimate = Number(m[1]) || null;
      else if ((m = /^(\d+) bytes/.exec(line))) out.push({ phase: 'running', bytes: Number(m[1]), estimate: this.estimate, key: this.key, error: null });
      else if ((m = /^done (\S+) (\d+)/.exec(line))) this.key = m[1]!;
      else if ((m = /^backup failed: (.*)$/.exec(line))) this.failure = m[1]!;
    }
    return out;
  }
}

/** "Back up now": the job runs in the scheduler (same script as cron); its progress is streamed until it ends. */
export async function* runNow(sched: BackupScheduler, notices: BackupNotices, jobId: string, signal: AbortSignal): AsyncGenerator<RunProgress> {
  const queue: RunProgress[] = [{ phase: 'starting', bytes: 0, estimate: null, key: null, error: null }];
  const lines = new RunLines();
  let wake: (() => void) | null = null;
  let finished = false;
  const run = sched
    .run(jobId, {
      signal,
      onStderr: (chunk) => {
        queue.push(...lines.feed(chunk));
        wake?.();
      },
    })
    .finally(() => {
      finished = true;
      wake?.();
    });
  for (let i = 0; i < 1_000_000 && !(finished && queue.length === 0); i++) {
    if (queue.length === 0) await new Promise<void>((r) => (wake = r));
    wake = null;
    while (queue.length) yield queue.shift()!;
  }
  const r = await run.catch((e: unknown) => ({ code: -1, stdout: '', stderr: errorMessage(e) }));
  // This run was watched: it needs no notice at the next connection.
  const mine = (await sched.statuses().catch(() => [])).find((st) => st.jobId === jobId);
  if (mine?.finishedAt && mine.state !== 'running') notices.markSeen(jobId, mine.finishedAt);
  if (r.code === 0 && lines.key) yield { phase: 'done', bytes: 0, estimate: lines.estimate, key: lines.key, error: null };
  else yield { phase: 'failed', bytes: 0, estimate: lines.estimate, key: null, error: lines.failure ?? (r.stderr.trim().slice(-600) || `exit ${r.code}`) };
}
