import { Agent, type AgentOptions } from 'node:http';
import type { Duplex } from 'node:stream';
import { inspect } from 'node:util';
import type { ClientChannel } from 'ssh2';
import type { SshConnection } from '../ssh/connection.ts';

/** How the Docker API is reached through the SSH connection. */
export type DockerTransport =
  /** `direct-streamlocal` channel to the engine's Unix socket: no session slot, fastest. */
  | { kind: 'streamlocal'; socketPath: string }
  /** `docker system dial-stdio` over exec, where stream-local forwarding is refused. */
  | { kind: 'dial-stdio'; sudo: boolean };

export function describeTransport(t: DockerTransport): string {
  return t.kind === 'streamlocal' ? `SSH stream-local forward to ${t.socketPath}` : `${t.sudo ? 'sudo -n ' : ''}docker system dial-stdio over SSH exec`;
}

/**
 * Turns an SSH channel into what Node's http client expects of a socket. ssh2 channels are Duplex
 * streams without the net.Socket knobs; those are no-ops here (the SSH socket has TCP_NODELAY set).
 */
export function asSocket(channel: ClientChannel | Duplex): Duplex {
  const s = channel as Duplex & Record<string, unknown>;
  for (const k of ['setKeepAlive', 'setNoDelay', 'ref', 'unref']) {
    if (typeof s[k] !== 'function') s[k] = () => s;
  }
  // A real idle timeout: the agent uses it to close idle kept-alive sockets (each dial-stdio socket holds a session slot).
  let timer: NodeJS.Timeout | null = null;
  let idleMs = 0;
  const arm = () => {
    if (timer) clearTimeout(timer);
    timer = idleMs > 0 ? setTimeout(() => s.emit('timeout'), idleMs) : null;
    timer?.unref();
  };
  // Same contract as net.Socket#setTimeout: a callback with 0 is *removed* (Node's http client relies on that
  // to detach its per-request listener from a kept-alive socket).
  s.setTimeout = (ms: number, cb?: () => void) => {
    idleMs = ms;
    if (cb) {
      if (ms === 0) s.removeListener('timeout', cb);
      else s.once('timeout', cb);
    }
    arm();
    return s;
  };
  s.on('data', () => idleMs && arm());
  s.once('close', () => timer && clearTimeout(timer));
  return channel;
}

/**
 * An http.Agent whose connections are SSH channels on the server's one connection. With keep-alive,
 * a warm Docker API call costs one round trip (no channel setup).
 */
export class SshDockerAgent extends Agent {
  private readonly conn: SshConnection;
  private readonly transport: DockerTransport;

  constructor(conn: SshConnection, transport: DockerTransport, options: AgentOptions = {}) {
    const stdio = transport.kind === 'dial-stdio';
    super({ keepAlive: true, keepAliveMsecs: 10_000, maxSockets: stdio ? 1 : 32, maxFreeSockets: stdio ? 1 : 8, scheduling: 'lifo', ...(stdio ? { timeout: 3_000 } : {}), ...options });
    this.conn = conn;
    this.transport = transport;
  }

  /** Channels opened so far: with keep-alive, far fewer than requests. */
  channelsOpened = 0;

  openChannel(): Promise<Duplex> {
    this.channelsOpened++;
    if (this.transport.kind === 'streamlocal') return this.conn.streamLocal(this.transport.socketPath).then((ch) => asSocket(ch));
    const argv = this.transport.sudo ? ['sudo', '-n', 'docker', 'system', 'dial-stdio'] : ['docker', 'system', 'dial-stdio'];
    return this.conn.spawn(argv).then(({ channel }) => asSocket(channel));
  }

  // Node's Agent calls this for each new socket; it must call back and return undefined for async creation.
  override createConnection(_options: object, callback: (err: Error | null, socket?: Duplex) => void): undefined {
    this.openChannel().then(
      (socket) => callback(null, socket),
      (err: Error) => callback(err),
    );
    return undefined;
  }

  // docker-modem inspects its options (including the agent) on every request: keep that cheap.
  [inspect.custom](): string {
    return `SshDockerAgent(${this.conn.options.label}, ${this.transport.kind})`;
  }
}
