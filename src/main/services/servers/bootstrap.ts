import type { BootstrapProgress } from '../../../shared/contract/servers.ts';
import { AppError } from '../core/errors.ts';
import { hostReader, launchOnHost } from '../jobs/host.ts';
import { JobState } from '../jobs/state.ts';
import { followTracker, JobTracker } from '../jobs/tracker.ts';
import type { SshConnection } from '../ssh/connection.ts';
import INSTALL_SCRIPT from './bootstrap-install.sh?raw';

/**
 * Installing Docker on a server that lacks it, from the distribution's own packages. The install is a host job
 * (jobs/host.ts: detached, state.json + log in its dir), so a closed laptop or a dropped link does not interrupt it;
 * running bootstrap again re-attaches to a running install or finds Docker already there (idempotent). Every
 * script is a constant: no input reaches a remote shell.
 */
export const BOOTSTRAP_DIR = '/var/lib/openpanel/bootstrap';
export { INSTALL_SCRIPT };

/** The steps the install script announces and how far each is (as the script's own `step` calls say). */
const STEPS: [prefix: string, progress: number][] = [
  ['apt-update', 25],
  ['install', 50],
  ['start docker', 75],
];
const progressOf = (step: string | null) => STEPS.find(([prefix]) => step?.startsWith(prefix))?.[1] ?? 5;

async function asRoot(conn: SshConnection): Promise<string[]> {
  if (conn.options.endpoint.username === 'root') return [];
  const r = await conn.exec(['sudo', '-n', 'true'], { timeoutMs: 15_000 });
  if (r.code !== 0) throw new AppError('AUTH_FAILED', `Installing Docker needs root: connect as root, or give ${conn.options.endpoint.username} passwordless sudo.`);
  return ['sudo', '-n'];
}

const event = (phase: BootstrapProgress['phase'], step: string | null, log: string, more: Partial<BootstrapProgress> = {}): BootstrapProgress => ({
  phase, step, log, progress: phase === 'checking' ? null : progressOf(step), error: null, exitCode: null, ...more,
});

/**
 * Runs (or re-attaches to) the install, yielding progress until it ends. Bounded: stops after `timeoutMs`.
 */
export async function* bootstrapDocker(conn: SshConnection, opts: { signal?: AbortSignal; timeoutMs?: number; pollMs?: number } = {}): AsyncGenerator<BootstrapProgress> {
  yield event('checking', null, '');
  const sudo = await asRoot(conn);
  const signal = opts.signal ? { signal: opts.signal } : {};
  const present = await conn.exec([...sudo, 'docker', 'version'], { timeoutMs: 30_000, ...signal });
  if (present.code === 0) {
    yield event('present', null, 'Docker is already installed and running.', { progress: 100, exitCode: 0 });
    return;
  }
  await launchOnHost(conn, { dir: BOOTSTRAP_DIR, script: INSTALL_SCRIPT, sudo, what: 'the Docker install', ...signal });
  const tracker = new JobTracker(hostReader({ conn: async () => conn, dir: BOOTSTRAP_DIR, schema: JobState, sudo }), { intervalMs: opts.pollMs ?? 1000, maxMs: opts.timeoutMs ?? 30 * 60_000 }).start();
  let sent = 0;
  let scanned = 0;
  let step: string | null = null;
  try {
    for await (const t of followTracker(tracker, opts.signal)) {
      const chunk = t.log.slice(sent);
      sent = t.log.length;
      // One event per step that started since the last one, so no step goes unreported (whole lines only).
      const lines = t.log.slice(scanned, t.log.lastIndexOf('\n') + 1);
      scanned += lines.length;
      const steps = [...lines.matchAll(/openpanel: step (.+)/g)].map((m) => m[1]!.trim());
      for (const s of steps.slice(0, -1)) yield event('installing', s, '');
      if (steps.length) step = steps.at(-1)!;
      if (!t.outcome) {
        yield event('installing', step, chunk);
        continue;
      }
      if (t.outcome === 'succeeded') {
        yield event('done', step, chunk, { progress: 100, exitCode: 0 });
        return;
      }
      if (t.outcome === 'timeout') break;
      const exitCode = t.outcome === 'failed' ? (t.state?.exitCode ?? null) : null;
      const tail = t.log.trim().split('\n').slice(-3).join(' ');
      const message = exitCode === 3 ? tail.replace(/^.*openpanel: /, '') : `Installing Docker failed (exit ${exitCode ?? 'lost'}): ${tail}`;
      yield event('failed', step, chunk, { exitCode, error: message });
      throw new AppError(exitCode === 3 ? 'UNSUPPORTED_SYSTEM' : 'REMOTE_COMMAND_FAILED', message);
    }
  } finally {
    tracker.stop();
  }
  throw new AppError('TIMEOUT', 'The Docker install did not finish in time; it may still be running on the server: run Bootstrap again to re-attach.');
}
