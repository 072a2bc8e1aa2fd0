import { PassThrough, type Readable } from 'node:stream';
import type Docker from 'dockerode';
import { abortable, sleep } from '../core/async.ts';
import { AppError } from '../core/errors.ts';
import type { DockerClient } from './client.ts';

export interface ExecInContainerOptions {
  env?: string[];
  /** Streamed to the process's stdin with backpressure; stdin is closed at its end. */
  stdin?: Readable;
  /** Every stderr chunk as it arrives (progress lines). */
  onStderr?: (chunk: string) => void;
  /** Every stdout chunk; when given, stdout is not collected. */
  onStdout?: (chunk: Buffer) => void;
  /** Aborting closes the exec's stream; the call rejects with the signal's reason. */
  signal?: AbortSignal;
  /** Cap on the collected stdout/stderr (bytes); the tail is kept. */
  maxCollect?: number;
}

export interface ContainerExecResult {
  code: number;
  stdout: string;
  stderr: string;
}

function keepTail(prev: string, chunk: string, max: number): string {
  const s = prev + chunk;
  return s.length > max ? s.slice(s.length - max) : s;
}

/**
 * `docker exec` through the Docker API (argv, never a shell string): stdout/stderr demultiplexed, stdin streamed
 * from `opts.stdin` with backpressure. The long stream runs on the non-pooled client so it never blocks the pool.
 */
export async function execInContainer(client: DockerClient, container: string, cmd: string[], opts: ExecInContainerOptions = {}): Promise<ContainerExecResult> {
  const max = opts.maxCollect ?? 1_000_000;
  const stdin = opts.stdin;
  // stdin may fail (a backup that does not decrypt) at any time, also before the exec has started: its error is
  // caught from the start, and no exec is started or fed from a stdin that already failed (it would wait forever).
  let stdinError: Error | null = null;
  let onStdinError: ((e: Error) => void) | null = null;
  const stdinFailed = (e: Error) => {
    stdinError ??= e;
    onStdinError?.(e);
  };
  const failedStdin = (): Error | null => {
    if (!stdin) return null;
    return stdinError ?? (stdin.destroyed ? (stdin.errored ?? new Error('the input ended before the command started')) : null);
  };
  stdin?.on('error', stdinFailed);
  try {
    let early = failedStdin();
    if (early) throw early;
    const exec = await client.api.getContainer(container).exec({
      Cmd: cmd,
      Env: opts.env ?? [],
      AttachStdout: true,
      AttachStderr: true,
      AttachStdin: Boolean(stdin),
    });
    early = failedStdin();
    if (early) throw early;
    const streamExec = client.streams.getExec(exec.id);
    const stream = (await streamExec.start({ hijack: true, stdin: Boolean(stdin) })) as NodeJS.ReadWriteStream & { destroy(e?: Error): void };
    let stdout = '';
    let stderr = '';
    const out = new PassThrough();
    const err = new PassThrough();
    out.on('data', (c: Buffer) => {
      if (opts.onStdout) opts.onStdout(c);
      else stdout = keepTail(stdout, c.toString('utf8'), max);
    });
    err.on('data', (c: Buffer) => {
      const s = c.toString('utf8');
      stderr = keepTail(stderr, s, max);
      opts.onStderr?.(s);
    });
    (client.api.modem as unknown as { demuxStream(s: NodeJS.ReadableStream, o: NodeJS.WritableStream, e: NodeJS.WritableStream): void }).demuxStream(stream, out, err);
    try {
      await abortable<void>(opts.signal, (resolve, reject) => {
        stream.on('end', () => resolve());
        stream.on('close', () => resolve());
        stream.on('error', (e: Error) => reject(e));
        if (stdin) {
          onStdinError = (e: Error) => {
            stream.destroy(e);
            reject(e);
          };
          const failed = failedStdin();
          if (failed) onStdinError(failed);
          else stdin.pipe(stream as unknown as NodeJS.WritableStream);
        }
      });
    } catch (e) {
      if (opts.signal?.aborted) stream.destroy();
      throw failedStdin() ?? e;
    }
    const failed = stdinError as Error | null;
    if (failed) throw failed;
    let info = await (exec as Docker.Exec).inspect();
    for (let i = 0; i < 40 && info.Running; i++) {
      await sleep(50);
      info = await (exec as Docker.Exec).inspect();
    }
    return { code: info.ExitCode ?? -1, stdout, stderr };
  } finally {
    stdin?.off('error', stdinFailed);
  }
}

/** execInContainer that throws REMOTE_COMMAND_FAILED (with stderr) on a non-zero exit. */
export async function execChecked(client: DockerClient, container: string, cmd: string[], what: string, opts: ExecInContainerOptions = {}): Promise<string> {
  const r = await execInContainer(client, container, cmd, opts);
  if (r.code !== 0) throw new AppError('REMOTE_COMMAND_FAILED', `${what} failed (exit ${r.code}): ${(r.stderr || r.stdout).trim().slice(-800)}`);
  return r.stdout;
}
