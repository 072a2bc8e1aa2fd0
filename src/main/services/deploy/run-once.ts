import type Docker from 'dockerode';
import { AppError } from '../core/errors.ts';
import { demuxLogs } from '../docker/demux.ts';

/**
 * Runs a one-off container in the foreground (create, start, wait bounded, read its output, remove it) and
 * returns its output; a non-zero exit fails with the last `tailLines` lines of that output. `what` names the
 * work in both errors ("compose down of x", "removing the app's files on the server").
 */
export async function runOnce(api: Docker, spec: Docker.ContainerCreateOptions, opts: { what: string; timeoutMs: number; tailLines: number }): Promise<string> {
  const c = await api.createContainer(spec);
  try {
    await c.start();
    let timer: NodeJS.Timeout | undefined;
    const result = (await Promise.race([
      c.wait(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new AppError('TIMEOUT', `${opts.what}: not finished within ${Math.round(opts.timeoutMs / 1000)} s`)), opts.timeoutMs);
      }),
    ]).finally(() => clearTimeout(timer))) as { StatusCode: number };
    const out = demuxLogs((await c.logs({ stdout: true, stderr: true, follow: false })) as unknown as Buffer);
    if (result.StatusCode !== 0) throw new AppError('REMOTE_COMMAND_FAILED', `${opts.what} failed (exit ${result.StatusCode}): ${out.trim().split('\n').slice(-opts.tailLines).join('\n')}`);
    return out;
  } finally {
    await c.remove({ force: true }).catch(() => undefined);
  }
}
