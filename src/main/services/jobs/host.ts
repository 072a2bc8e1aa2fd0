import type { z } from 'zod';
import { AppError } from '../core/errors.ts';
import type { SshConnection } from '../ssh/connection.ts';
import LAUNCH_SCRIPT from './host-launch.sh?raw';
import RUN_SCRIPT from './host-run.sh?raw';
import { sshRead } from './read.ts';
import type { JobState } from './state.ts';
import type { JobReader } from './tracker.ts';

export { LAUNCH_SCRIPT, RUN_SCRIPT };

export interface HostJobOpts {
  /** The job dir on the server (state.json, log, pid, run.sh, job.sh). */
  dir: string;
  /** A constant POSIX sh script, run in a subshell of the runner; it may call `step <name> [progress]`. */
  script: string;
  /** Argv prefix to run as root (['sudo', '-n']), or []. */
  sudo: string[];
  /** Names the job in errors ('the Docker install'). */
  what: string;
  signal?: AbortSignal;
}

/**
 * Starts a job as a detached process on the host (setsid, pid file), so a closed app or a dropped link does not
 * stop it; a job already running in that dir is re-attached to instead of started twice.
 */
export async function launchOnHost(conn: SshConnection, opts: HostJobOpts): Promise<{ started: boolean; pid: number | null }> {
  const r = await conn.exec([...opts.sudo, 'sh', '-c', LAUNCH_SCRIPT, 'sh', opts.dir, RUN_SCRIPT, opts.script], { timeoutMs: 30_000, ...(opts.signal ? { signal: opts.signal } : {}) });
  const state = /^state=(started|running)$/m.exec(r.stdout)?.[1];
  if (r.code !== 0 || !state) throw new AppError('REMOTE_COMMAND_FAILED', `Could not start ${opts.what}: ${r.stderr.trim() || r.stdout.trim() || `exit ${r.code}`}`);
  const pid = /^pid=(\d+)$/m.exec(r.stdout)?.[1];
  return { started: state === 'started', pid: pid ? Number(pid) : null };
}

/** Reads a host job's files over SSH (as root with `sudo`); its liveness is its pid file's process. */
export function hostReader<S extends JobState>(opts: { conn: () => Promise<SshConnection>; dir: string; schema: z.ZodType<S>; sudo: string[] }): JobReader<S> {
  const read = sshRead(opts);
  return {
    read,
    // The read script reports the pid file's process; an offset past any log reads no log.
    alive: async () => (await read(1e15)).pid === 'alive',
  };
}
