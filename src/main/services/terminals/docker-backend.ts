import type { Duplex } from 'node:stream';
import { type AppError, errorMessage } from '../core/errors.ts';
import type { DockerClient } from '../docker/client.ts';
import { dockerError } from '../docker/errors.ts';
import type { SshConnection } from '../ssh/connection.ts';
import type { TerminalBackend } from './session.ts';
import { streamBackend, TERM } from './ssh-backend.ts';

/** The default in a container: bash when the image has it, else sh (a constant script; no user input in it). */
export const DEFAULT_CONTAINER_SHELL = ['/bin/sh', '-c', 'if command -v bash >/dev/null 2>&1; then exec bash; else exec sh; fi'];

function terminalError(e: unknown, containerId: string): AppError {
  return dockerError(e, containerId, {
    notFound: () => `containerId: no container "${containerId}" on this server.`,
    conflict: (why) => `containerId: the container "${containerId}" is not running (${why}).`,
    other: (why) => `Docker could not start a terminal in "${containerId}": ${why}`,
  });
}

async function retry<T>(fn: () => Promise<T>, tries: number, delayMs: number): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await fn();
    } catch (e) {
      if (i >= tries) throw e;
      await new Promise((r) => setTimeout(r, delayMs));
    }
  }
}

/**
 * `docker exec -it` through the Engine API: the exec is created on the kept-alive API agent, started
 * (hijacked, raw TTY stream) on the streams agent so it never holds a pooled socket.
 */
export async function openContainerTerminal(
  docker: DockerClient,
  conn: SshConnection,
  target: { containerId: string; user?: string | undefined },
  size: { cols: number; rows: number },
  command?: readonly string[],
): Promise<{ backend: TerminalBackend; hangUp(): Promise<void> }> {
  let execId: string;
  let stream: Duplex;
  try {
    const exec = await docker.api.getContainer(target.containerId).exec({
      Cmd: [...(command ?? DEFAULT_CONTAINER_SHELL)],
      AttachStdin: true,
      AttachStdout: true,
      AttachStderr: true,
      Tty: true,
      Env: [`TERM=${TERM}`],
      ...(target.user ? { User: target.user } : {}),
      ConsoleSize: [size.rows, size.cols],
    } as Parameters<ReturnType<typeof docker.api.getContainer>['exec']>[0]);
    execId = exec.id;
    stream = (await docker.streams.getExec(execId).start({ hijack: true, stdin: true, Tty: true })) as Duplex;
  } catch (e) {
    throw terminalError(e, target.containerId);
  }
  const resize = (cols: number, rows: number) => docker.api.getExec(execId).resize({ h: rows, w: cols }) as Promise<unknown>;
  // The process may not be running the instant the stream is up; Docker's CLI retries the same way. Wait for it
  // (bounded, ~0.5 s): input typed before the pty has its size would see 0×0 (`stty size` fails).
  await retry(() => resize(size.cols, size.rows), 10, 50).catch(() => {});
  const backend = streamBackend(stream as unknown as Parameters<typeof streamBackend>[0], {
    resize: async (cols, rows) => {
      await resize(cols, rows);
    },
    exitStatus: async () => {
      try {
        const info = await retry(async () => {
          const i = await docker.api.getExec(execId).inspect();
          if (i.Running) throw new Error('still running');
          return i;
        }, 10, 100);
        return { exitCode: info.ExitCode ?? null, exitSignal: null, reason: `exited with code ${info.ExitCode ?? '?'}` };
      } catch (e) {
        return { exitCode: null, exitSignal: null, reason: `the stream ended (${errorMessage(e)})` };
      }
    },
  });
  return {
    backend,
    hangUp: () => hangUp(docker, conn, execId),
  };
}

/**
 * Docker does not end a TTY exec when its client goes away (moby#9098), so a closed terminal would leave
 * its shell running. Send its process group SIGHUP, as a terminal's hang-up would: from inside the container
 * as root (the pid there comes from /proc/<host pid>/status on the server), else from the server itself.
 */
async function hangUp(docker: DockerClient, conn: SshConnection, execId: string): Promise<void> {
  const info = await docker.api.getExec(execId).inspect().catch(() => null);
  if (!info?.Running || !info.Pid) return;
  const hostPid = info.Pid;
  const status = await conn.exec(['cat', `/proc/${hostPid}/status`], { timeoutMs: 10_000 }).catch(() => null);
  const nsPid = /^NSpid:\s.*?(\d+)\s*$/m.exec(status?.stdout ?? '')?.[1];
  if (nsPid) {
    try {
      const kill = await docker.api.getContainer(info.ContainerID).exec({ Cmd: ['kill', '-s', 'HUP', '--', `-${nsPid}`], User: '0', AttachStdout: false, AttachStderr: false });
      await kill.start({ Detach: true });
      if (await gone(docker, execId)) return;
    } catch {
      /* no kill in the image: try from the server */
    }
  }
  await conn.exec(['kill', '-s', 'HUP', '--', `-${hostPid}`], { timeoutMs: 10_000 }).catch(() => null);
}

async function gone(docker: DockerClient, execId: string): Promise<boolean> {
  for (let i = 0; i < 20; i++) {
    const info = await docker.api.getExec(execId).inspect().catch(() => null);
    if (!info?.Running) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
}
