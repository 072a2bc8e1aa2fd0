import type { z } from 'zod';
import { withTimeout } from '../core/async.ts';
import { AppError } from '../core/errors.ts';
import type { SshConnection } from '../ssh/connection.ts';
import READ_SCRIPT from './read.sh?raw';
import type { JobState } from './state.ts';

export { READ_SCRIPT };

/** One read of a job dir: its state (null: none yet, or unreadable), the log bytes after the offset, its pid file. */
export interface JobRead<S extends JobState = JobState> {
  state: S | null;
  log: Buffer;
  pid: 'alive' | 'dead' | 'none';
}

const RS = 0x1e;

/**
 * Parses the read script's output. A dir without state.json but with the older host layout (pid and exit files)
 * gets a state made from them: running while the pid lives, then succeeded or failed by the exit code.
 */
export function parseRead<S extends JobState>(out: Buffer, schema: z.ZodType<S>): JobRead<S> {
  const parts: Buffer[] = [];
  let from = 0;
  for (let i = 0; i < 3; i++) {
    const at = out.indexOf(RS, from);
    if (at < 0) return { state: null, log: Buffer.alloc(0), pid: 'none' };
    parts.push(out.subarray(from, at));
    from = at + 1;
  }
  const [stateText, exitText, pidText] = parts.map((p) => p.toString('utf8').trim()) as [string, string, string];
  const pid = pidText === 'alive' || pidText === 'dead' ? pidText : 'none';
  return { state: stateOf(stateText, exitText, pid, schema), log: out.subarray(from), pid };
}

function stateOf<S extends JobState>(stateText: string, exitText: string, pid: JobRead['pid'], schema: z.ZodType<S>): S | null {
  if (stateText) {
    try {
      const parsed = schema.safeParse(JSON.parse(stateText));
      if (parsed.success) return parsed.data;
    } catch {
      // a half-written or foreign file: treated as no state
    }
    return null;
  }
  let legacy: JobState | null = null;
  if (/^\d+$/.test(exitText)) {
    const exitCode = Number(exitText);
    legacy = { status: exitCode === 0 ? 'succeeded' : 'failed', step: '', progress: exitCode === 0 ? 100 : 0, error: exitCode === 0 ? '' : `exit ${exitCode}`, at: 0, exitCode };
  } else if (pid === 'alive') {
    legacy = { status: 'running', step: '', progress: 0, error: '', at: 0 };
  }
  const parsed = legacy ? schema.safeParse(legacy) : null;
  return parsed?.success ? parsed.data : null;
}

export interface SshReadOpts<S extends JobState> {
  conn: () => Promise<SshConnection>;
  dir: string;
  schema: z.ZodType<S>;
  /** Argv prefix for a job dir only root can read (['sudo', '-n']). */
  sudo?: string[];
}

/** Reads a job dir over SSH with the read script, bounded by its own deadline. */
export function sshRead<S extends JobState>(opts: SshReadOpts<S>): (offset: number) => Promise<JobRead<S>> {
  return async (offset) => {
    const out = await execBounded(opts.conn, [...(opts.sudo ?? []), 'sh', '-c', READ_SCRIPT, 'sh', opts.dir, String(offset)], 'reading the job state');
    return parseRead(out, opts.schema);
  };
}

/**
 * One exec with a deadline around the whole call: opening a channel on a connection that died silently never
 * settles, so the exec's own timeout is not enough.
 */
export async function execBounded(conn: () => Promise<SshConnection>, argv: string[], what: string, ms = 12_000): Promise<Buffer> {
  const chunks: Buffer[] = [];
  await withTimeout(
    async (signal) => {
      const c = await conn();
      await c.exec(argv, { timeoutMs: ms - 2_000, signal, maxBuffer: 0, onStdout: (b) => chunks.push(b) });
    },
    ms,
    () => new AppError('TIMEOUT', `${what}: no answer within ${Math.round(ms / 1000)} s`),
  );
  return Buffer.concat(chunks);
}
