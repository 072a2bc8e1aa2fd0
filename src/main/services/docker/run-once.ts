import type Docker from 'dockerode';
import { abortable, withTimeout } from '../core/async.ts';
import { AppError } from '../core/errors.ts';
import { readContainerLogs } from './container-logs.ts';

export interface RunOnceOptions {
  /** Names the work in every error: "compose down of x", "fetching the repository on the server". */
  what: string;
  timeoutMs: number;
  /** Aborting kills and removes the container; the call then rejects with an AbortError. */
  signal?: AbortSignal;
  /** A non-zero exit fails with the last `tailLines` lines of the output (default 10), unless `detail` is given. */
  tailLines?: number;
  /** The text a non-zero exit fails with, instead of the output's tail. */
  detail?: (result: RunOnceResult) => string;
  /** A tar put at / before the start (files the command reads: never in its environment). */
  upload?: Buffer;
}

export interface RunOnceResult {
  code: number;
  stdout: Buffer;
  stderr: Buffer;
  /** Both streams as one text, in the order written (what `docker logs` prints). */
  output: string;
}

function cancelled(what: string): DOMException {
  return new DOMException(`${what} was cancelled`, 'AbortError');
}

/**
 * Runs a one-off container in the foreground: create, start, wait (bounded by `timeoutMs`, cut short by
 * `signal`), read its output, remove it whatever happened. A non-zero exit fails with REMOTE_COMMAND_FAILED.
 */
export async function runOnce(api: Docker, spec: Docker.ContainerCreateOptions, opts: RunOnceOptions): Promise<RunOnceResult> {
  if (opts.signal?.aborted) throw cancelled(opts.what);
  const c = await api.createContainer(spec);
  try {
    if (opts.upload) await c.putArchive(opts.upload, { path: '/' });
    await c.start();
    if (opts.signal?.aborted) throw cancelled(opts.what);
    const exited = abortable<{ StatusCode: number }>(opts.signal, (resolve, reject) => void c.wait().then(resolve, reject));
    const waited = await withTimeout(
      exited.catch((e: unknown) => Promise.reject(opts.signal?.aborted ? cancelled(opts.what) : e)),
      opts.timeoutMs,
      () => new AppError('TIMEOUT', `${opts.what}: not finished within ${Math.round(opts.timeoutMs / 1000)} s`),
    );
    const result: RunOnceResult = { code: waited.StatusCode, ...(await readContainerLogs(api, c.id)) };
    if (result.code !== 0) {
      const detail = opts.detail ? opts.detail(result) : result.output.trim().split('\n').slice(-(opts.tailLines ?? 10)).join('\n');
      throw new AppError('REMOTE_COMMAND_FAILED', `${opts.what} failed (exit ${result.code}): ${detail}`);
    }
    return result;
  } finally {
    // force: a container still running (timed out, cancelled) is killed first.
    await c.remove({ force: true }).catch(() => undefined);
  }
}
