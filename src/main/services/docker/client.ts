import Docker from 'dockerode';
import { withTimeout } from '../core/async.ts';
import { AppError, errorMessage } from '../core/errors.ts';
import type { SshConnection } from '../ssh/connection.ts';
import { describeTransport, SshDockerAgent, type DockerTransport } from './agent.ts';

export interface DockerClient {
  transport: DockerTransport;
  /** Pooled, kept-alive: for ordinary API calls. */
  api: Docker;
  /** One channel per request: for long streams (events, logs, attach) so they never block the pool. */
  streams: Docker;
  agent: SshDockerAgent;
  close(): void;
}

/** Ordinary API calls: none may hang forever (the socket timeout is an idle timeout, so long stops still work). */
export const API_IDLE_TIMEOUT_MS = 60_000;

function dockerFor(agent: SshDockerAgent, timeout?: number): Docker {
  return new Docker({ host: 'docker', port: 80, protocol: 'http', agent, ...(timeout ? { timeout } : {}) } as Docker.DockerOptions);
}

async function ping(docker: Docker, timeoutMs: number): Promise<void> {
  await withTimeout(docker.ping() as Promise<unknown>, timeoutMs, () => new Error(`no answer within ${timeoutMs} ms`));
}

export interface ConnectDockerOptions {
  socketPath?: string;
  /** Skip detection: use what worked last time (remembered per server). */
  preferred?: DockerTransport | null;
  timeoutMs?: number;
}

/**
 * Finds a way to the Docker API through the server's SSH connection, in order: stream-local forwarding
 * to the socket, `docker system dial-stdio`, then `sudo -n docker system dial-stdio`. Fails with
 * DOCKER_UNAVAILABLE naming what was tried and how to fix it.
 */
export async function connectDocker(conn: SshConnection, opts: ConnectDockerOptions = {}): Promise<DockerClient> {
  const socketPath = opts.socketPath ?? '/var/run/docker.sock';
  const candidates: DockerTransport[] = [
    { kind: 'streamlocal', socketPath },
    { kind: 'dial-stdio', sudo: false },
    { kind: 'dial-stdio', sudo: true },
  ];
  if (opts.preferred) candidates.unshift(opts.preferred);
  const tried: string[] = [];
  const seen = new Set<string>();
  for (const transport of candidates) {
    const key = JSON.stringify(transport);
    if (seen.has(key)) continue;
    seen.add(key);
    const agent = new SshDockerAgent(conn, transport);
    const api = dockerFor(agent, API_IDLE_TIMEOUT_MS);
    try {
      await ping(api, opts.timeoutMs ?? 15_000);
      const streamAgent = new SshDockerAgent(conn, transport, { keepAlive: false, maxSockets: Infinity });
      return {
        transport,
        api,
        streams: dockerFor(streamAgent),
        agent,
        close() {
          agent.destroy();
          streamAgent.destroy();
        },
      };
    } catch (e) {
      agent.destroy();
      if (e instanceof AppError && e.code !== 'REMOTE_COMMAND_FAILED' && e.code !== 'CONNECT_FAILED') throw e;
      tried.push(`${describeTransport(transport)}: ${errorMessage(e).split('\n')[0]}`);
    }
  }
  // Not Docker's fault: the SSH link went away while probing.
  if (conn.state.state !== 'ready') {
    throw conn.state.error ?? new AppError('CONNECT_FAILED', `${conn.options.label} is unreachable: the SSH connection was lost while looking for Docker.`);
  }
  throw new AppError(
    'DOCKER_UNAVAILABLE',
    `Docker is not reachable on ${conn.options.label}. Tried:\n- ${tried.join('\n- ')}\n` +
      `Fix one of: install Docker (Servers → Bootstrap), add ${conn.options.endpoint.username} to the "docker" group, allow passwordless "sudo docker", ` +
      `set the server's Docker socket path (now ${socketPath}; a rootless Docker listens on /run/user/<uid>/docker.sock), or set AllowStreamLocalForwarding yes in sshd_config.`,
    { tried },
  );
}
