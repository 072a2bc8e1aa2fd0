// Small helpers shared by the test bed: running commands, bounded polling, file locks, paths.
// Node built-ins only, so `node tests/testbed/cli.ts` runs without a build step.
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

/** Where the test bed keeps its state (pids, names) — survives a crashed test run, not a reboot. */
export const STATE_ROOT = '/run/openpanel-testbed';
/** Per-server data (docker data root, keys, homes). Must be on ext4 for overlay2. */
export const DATA_ROOT = '/var/lib/openpanel-testbed';
/** Image tarballs, built once and shared by all beds. */
export const CACHE_ROOT = '/var/cache/openpanel-testbed';
/** Name of the cgroup subtree (in every v1 hierarchy) that holds every test-bed process. */
export const CGROUP_NAME = 'openpanel-testbed';
/** Every interface and netns of the test bed starts with this. */
export const NAME_PREFIX = 'optb-';
/** The one private /16 all test-bed addresses live in. */
export const NET16 = '10.231';

export const SYS_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export type RunResult = { stdout: string; stderr: string; code: number; signal?: string };

export type RunOptions = {
  input?: string | Buffer;
  timeoutMs?: number;
  env?: Record<string, string>;
  cwd?: string;
  /** Throw (with stderr) when the exit code is not 0. Default true. */
  check?: boolean;
};

/** Run argv (no shell) and collect its output; bounded by timeoutMs (default 60 s). */
export function run(argv: string[], opts: RunOptions = {}): Promise<RunResult> {
  const [cmd, ...args] = argv;
  if (!cmd) throw new Error('run: empty argv');
  const timeoutMs = opts.timeoutMs ?? 60_000;
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: opts.env ?? { PATH: SYS_PATH, LANG: 'C.UTF-8', HOME: '/root' },
      cwd: opts.cwd ?? '/',
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const res: RunResult = {
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
        code: code ?? (signal ? 128 : 1),
      };
      if (signal) res.signal = signal;
      if (timedOut) {
        reject(new Error(`timed out after ${timeoutMs} ms: ${argv.join(' ')}\n${res.stderr}`));
      } else if ((opts.check ?? true) && res.code !== 0) {
        reject(new Error(`exit ${res.code}${signal ? ` (${signal})` : ''}: ${argv.join(' ')}\n${res.stderr.trim()}`));
      } else {
        resolve(res);
      }
    });
    child.stdin.on('error', () => {});
    child.stdin.end(opts.input ?? '');
  });
}

/** Synchronous run, never throws; for tear-down paths (exit handler). */
export function runSync(argv: string[], input?: string, timeoutMs = 30_000): RunResult {
  const [cmd, ...args] = argv;
  if (!cmd) return { stdout: '', stderr: 'empty argv', code: 1 };
  const r = spawnSync(cmd, args, {
    input: input ?? '',
    timeout: timeoutMs,
    env: { PATH: SYS_PATH, LANG: 'C.UTF-8' },
    encoding: 'utf8',
  });
  return { stdout: r.stdout ?? '', stderr: r.stderr ?? String(r.error ?? ''), code: r.status ?? 1 };
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Poll `fn` until it returns a truthy value or `timeoutMs` passes (then throws `what`). */
export async function waitFor<T>(
  what: string,
  fn: () => Promise<T | undefined | null | false> | T | undefined | null | false,
  timeoutMs: number,
  intervalMs = 25,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastErr: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      lastErr = e;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastErr ? `: ${String(lastErr)}` : ''}`);
    }
    await sleep(intervalMs);
  }
}

export function pidAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
  // a zombie counts as dead
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

/** Process start time (clock ticks since boot) — with the pid it names a process unambiguously. */
export function pidStartTime(pid: number): number {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[19]);
  } catch {
    return -1;
  }
}

export function ownerAlive(pid: number, startTime: number): boolean {
  return pidAlive(pid) && pidStartTime(pid) === startTime;
}

export function tail(file: string, lines = 30): string {
  try {
    const text = fs.readFileSync(file, 'utf8');
    return text.split('\n').slice(-lines).join('\n');
  } catch {
    return `(no ${file})`;
  }
}

/**
 * A lock directory (mkdir is atomic) holding the owner's pid. A lock whose owner died is taken over.
 * Bounded: throws after timeoutMs.
 */
export async function withLock<T>(lockPath: string, timeoutMs: number, fn: () => Promise<T>): Promise<T> {
  await acquireLock(lockPath, timeoutMs);
  try {
    return await fn();
  } finally {
    releaseLock(lockPath);
  }
}

export async function acquireLock(lockPath: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  fs.mkdirSync(path.dirname(lockPath), { recursive: true });
  for (;;) {
    if (tryLock(lockPath)) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for lock ${lockPath}`);
    await sleep(50);
  }
}

export function acquireLockSync(lockPath: string, timeoutMs: number): void {
  const deadline = Date.now() + timeoutMs;
  fs.mkdirSync(path.dirname(lockPath), { recursive: true });
  for (;;) {
    if (tryLock(lockPath)) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for lock ${lockPath}`);
    sleepSync(20);
  }
}

function tryLock(lockPath: string): boolean {
  try {
    fs.mkdirSync(lockPath);
    fs.writeFileSync(path.join(lockPath, 'owner'), `${process.pid} ${pidStartTime(process.pid)}\n`);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  }
  // Held: take it over if the owner is gone (crashed run). A lock without owner file is fresh
  // (between mkdir and write) unless it is older than 5 s.
  try {
    const owner = fs.readFileSync(path.join(lockPath, 'owner'), 'utf8').trim().split(' ');
    const pid = Number(owner[0]);
    const st = Number(owner[1]);
    if (!ownerAlive(pid, st)) {
      fs.rmSync(lockPath, { recursive: true, force: true });
    }
  } catch {
    try {
      const age = Date.now() - fs.statSync(lockPath).mtimeMs;
      if (age > 5000) fs.rmSync(lockPath, { recursive: true, force: true });
    } catch {
      /* gone meanwhile */
    }
  }
  return false;
}

export function releaseLock(lockPath: string): void {
  fs.rmSync(lockPath, { recursive: true, force: true });
}

/** Write a file atomically (tmp + rename). */
export function writeFileAtomic(file: string, data: string | Buffer, mode = 0o644): void {
  const tmp = `${file}.tmp-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  fs.writeFileSync(tmp, data, { mode });
  fs.renameSync(tmp, file);
}
