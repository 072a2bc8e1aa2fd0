import type { ClientChannel, PseudoTtyOptions } from 'ssh2';
import { AppError, errorMessage } from '../core/errors.ts';
import type { SshConnection } from '../ssh/connection.ts';
import { toCommand } from '../ssh/quote.ts';
import type { TerminalBackend, TerminalEnd } from './session.ts';

export const TERM = 'xterm-256color';
/** How long opening may wait for a free session slot (MaxSessions) before it gives up. */
const OPEN_TIMEOUT_MS = 20_000;

/** Turns any channel-like stream into a backend: output, exit status, pause/resume for flow control. */
export function streamBackend(
  stream: NodeJS.ReadWriteStream & { destroy?: () => void; on(ev: string, cb: (...a: unknown[]) => void): unknown },
  opts: { resize(cols: number, rows: number): Promise<void>; exitStatus(): Promise<TerminalEnd>; stderr?: NodeJS.ReadableStream },
): TerminalBackend {
  let ended = false;
  const endCbs: ((e: TerminalEnd) => void)[] = [];
  const finish = () => {
    if (ended) return;
    ended = true;
    void opts.exitStatus().then((end) => endCbs.forEach((cb) => cb(end)));
  };
  stream.on('close', finish);
  stream.on('error', () => finish());
  // The remote side is done writing: end ours too so the channel closes (stream-local channels only half-close).
  stream.on('end', () => stream.end());
  return {
    write: (data) => {
      if (!ended) stream.write(data);
    },
    resize: (cols, rows) => opts.resize(cols, rows),
    pause: () => {
      stream.pause();
      opts.stderr?.pause();
    },
    resume: () => {
      stream.resume();
      opts.stderr?.resume();
    },
    close: () => {
      stream.end();
      stream.destroy?.();
    },
    onData: (cb) => {
      stream.on('data', (d) => cb(d as Buffer));
      opts.stderr?.on('data', (d: Buffer) => cb(d));
    },
    onEnd: (cb) => endCbs.push(cb),
  };
}

/** A login shell (or argv) with a pty on the server, over its shared SSH connection (one session slot). */
export async function openSshTerminal(conn: SshConnection, size: { cols: number; rows: number }, command?: readonly string[]): Promise<TerminalBackend> {
  const pty: PseudoTtyOptions = { term: TERM, cols: size.cols, rows: size.rows, width: 0, height: 0 };
  const cmd = command ? toCommand(command) : null; // every argument quoted, in ssh/quote.ts
  let channel: ClientChannel;
  let release: () => void;
  try {
    ({ value: channel, release } = await conn.withSession(
      (client) =>
        new Promise<ClientChannel>((resolve, reject) => {
          const cb = (err: Error | undefined, ch: ClientChannel) => (err ? reject(err) : resolve(ch));
          if (cmd) client.exec(cmd, { pty }, cb);
          else client.shell(pty, cb);
        }),
      AbortSignal.timeout(OPEN_TIMEOUT_MS),
    ));
  } catch (e) {
    if (e instanceof AppError) throw e;
    if (e instanceof DOMException && e.name === 'TimeoutError') {
      throw new AppError('TIMEOUT', `${conn.options.label} has no free SSH session slot (MaxSessions reached by other terminals, logs or commands): close one and try again.`);
    }
    throw new AppError('CONNECT_FAILED', `${conn.options.label} refused a terminal: ${errorMessage(e)}`);
  }
  channel.once('close', release);
  let exit: TerminalEnd | null = null;
  channel.on('exit', (code: number | null, signal?: string) => {
    exit =
      typeof code === 'number'
        ? { exitCode: code, exitSignal: null, reason: `exited with code ${code}` }
        : { exitCode: null, exitSignal: signal ?? null, reason: `killed by ${signal ?? 'a signal'}` };
  });
  const generation = conn.generation;
  return streamBackend(channel, {
    stderr: channel.stderr,
    resize: async (cols, rows) => channel.setWindow(rows, cols, 0, 0),
    exitStatus: async () => {
      if (exit) return exit;
      await new Promise((r) => setImmediate(r)); // let the connection report a drop first
      const lost = conn.generation !== generation || conn.state.state !== 'ready';
      return { exitCode: null, exitSignal: null, reason: lost ? `the SSH connection to ${conn.options.label} was lost` : 'the session was closed' };
    },
  });
}
