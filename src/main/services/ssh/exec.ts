import type { ClientChannel, PseudoTtyOptions } from 'ssh2';
import { abortable, linkSignals, withTimeout } from '../core/async.ts';
import { AppError } from '../core/errors.ts';

export interface ExecOptions {
  timeoutMs?: number;
  signal?: AbortSignal;
  stdin?: string | Buffer;
  onStdout?: (chunk: Buffer) => void;
  onStderr?: (chunk: Buffer) => void;
  /** Keep at most this many bytes of each output in the result (streaming callbacks still see everything). */
  maxBuffer?: number;
  pty?: PseudoTtyOptions;
  /** Background work (the fleet monitor): never ahead of other sessions on the connection (ChannelLimiter). */
  background?: boolean;
}

export interface ExecResult {
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  truncated: boolean;
}

/** Drives an exec channel to completion: collects output, enforces the timeout, honours cancellation. */
export function runExec(channel: ClientChannel, argv: readonly string[], opts: ExecOptions): Promise<ExecResult> {
  return withTimeout((timeout) => drive(channel, argv, opts, timeout), opts.timeoutMs, argv[0] ?? 'the command');
}

function drive(channel: ClientChannel, argv: readonly string[], opts: ExecOptions, timeout: AbortSignal): Promise<ExecResult> {
  const max = opts.maxBuffer ?? 8 * 1024 * 1024;
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  let outLen = 0;
  let errLen = 0;
  let truncated = false;
  let code: number | null = null;
  let signal: string | null = null;
  const stop = () => {
    try {
      channel.signal('TERM');
    } catch {
      /* not supported by every server */
    }
    channel.close();
  };
  // The timeout rejects with its own TIMEOUT error (withTimeout); a cancellation says it was cancelled.
  const stopped = linkSignals(timeout, opts.signal);
  return abortable<ExecResult>(stopped.signal, (resolve, reject) => {
    channel.on('data', (chunk: Buffer) => {
      opts.onStdout?.(chunk);
      if (outLen < max) {
        out.push(chunk);
        outLen += chunk.length;
      } else truncated = true;
    });
    channel.stderr.on('data', (chunk: Buffer) => {
      opts.onStderr?.(chunk);
      if (errLen < max) {
        err.push(chunk);
        errLen += chunk.length;
      } else truncated = true;
    });
    channel.on('exit', (c: number | null, s?: string) => {
      code = c;
      signal = s ?? null;
    });
    // ssh2 also passes the exit status to 'close'; use it when 'exit' was not seen (ordering varies).
    channel.on('close', (c?: number | null, s?: string) => {
      if (code === null && signal === null) {
        if (typeof c === 'number') code = c;
        if (typeof s === 'string') signal = s;
      }
      resolve({ code, signal, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), truncated });
    });
    channel.on('error', (e: Error) => {
      reject(new AppError('REMOTE_COMMAND_FAILED', `${argv[0]}: ${e.message}`));
      stop();
    });
    if (opts.stdin !== undefined) channel.end(opts.stdin);
    else channel.end();
  }).catch((e: unknown) => {
    if (!stopped.signal.aborted) throw e;
    stop();
    throw timeout.aborted ? timeout.reason : new AppError('TIMEOUT', `Cancelled: ${argv[0]}`, { cancelled: true });
  }).finally(() => stopped.abort());
}

/** Throws REMOTE_COMMAND_FAILED with the command's stderr when it did not exit 0. */
export function check(result: ExecResult, what: string): ExecResult {
  if (result.code !== 0) {
    const detail = (result.stderr || result.stdout).trim().split('\n').slice(-5).join('\n');
    throw new AppError('REMOTE_COMMAND_FAILED', `${what} failed (exit ${result.code ?? result.signal}): ${detail}`, { exitCode: result.code });
  }
  return result;
}
