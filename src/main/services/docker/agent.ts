import { Agent, type AgentOptions } from 'node:http';
import type { Duplex } from 'node:stream';
import { inspect } from 'node:util';
import type { ClientChannel } from 'ssh2';
import { AppError } from '../core/errors.ts';
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
  // failSocket() may close it before ssh2 does: the http agent must see 'close' once.
  let closed = false;
  const emit = s.emit.bind(s);
  s.emit = (event: string | symbol, ...args: unknown[]) => {
    if (event === 'close') {
      if (closed) return false;
      closed = true;
    }
    return emit(event, ...args);
  };
  return channel;
}

/**
 * Fails a channel-socket with a reason: the request on it rejects with `error` (not "socket hang up") and the
 * agent drops it. ssh2's own destroy() only ends and closes the channel, and a dead connection's unread
 * channel never emits 'close'.
 */
export function failSocket(socket: Duplex, error: Error): void {
  try {
    socket.destroy();
  } catch {
    /* the connection under it is gone */
  }
  if (socket.listenerCount('error') > 0) socket.emit('error', error);
  socket.emit('close');
}

/**
 * A dial-stdio channel whose command fails (no docker group, "sudo: a password is required") only closes;
 * the http client would report "socket hang up". Fail the socket with the command's own stderr instead.
 */
function withExitReason(socket: Duplex, channel: ClientChannel, argv: readonly string[]): Duplex {
  let stderr = '';
  channel.stderr.on('data', (d: Buffer) => {
    if (stderr.length < 2_000) stderr += d.toString('utf8');
  });
  // sshd sends EOF before the exit status: hold 'end' back until the status is known (bounded).
  let exited = false;
  let heldEnd: (() => void) | null = null;
  const emit = socket.emit.bind(socket);
  socket.emit = (event: string | symbol, ...args: unknown[]) => {
    if (event === 'end' && !exited) {
      heldEnd = () => emit(event, ...args);
      setTimeout(() => release(), 5_000).unref(); // a loaded server may be slow to send the exit status
      return true;
    }
    return emit(event, ...args);
  };
  const release = () => {
    exited = true;
    const end = heldEnd;
    heldEnd = null;
    end?.();
  };
  channel.once('exit', (code: number | null) => {
    if (code !== 0) {
      const reason = stderr.trim().split('\n').filter(Boolean).slice(-3).join(' / ') || 'no error output';
      heldEnd = null;
      failSocket(socket, new AppError('REMOTE_COMMAND_FAILED', `${argv.join(' ')} exited with ${code ?? 'a signal'}: ${reason}`, { stderr: stderr.slice(0, 2_000) }));
    }
    release();
  });
  channel.once('close', release);
  return socket;
}

/**
 * An http.Agent whose connections are SSH channels on the server's one connection. With keep-alive,
 * a warm Docker API call costs one round trip (no channel setup).
 */
export class SshDockerAgent extends Agent {
  private readonly conn: SshConnection;
  private readonly transport: DockerTransport;

  private readonly onLost: () => void;

  constructor(conn: SshConnection, transport: DockerTransport, options: AgentOptions = {}) {
    const stdio = transport.kind === 'dial-stdio';
    super({ keepAlive: true, keepAliveMsecs: 10_000, maxSockets: stdio ? 1 : 32, maxFreeSockets: stdio ? 1 : 8, scheduling: 'lifo', ...(stdio ? { timeout: 3_000 } : {}), ...options });
    this.conn = conn;
    this.transport = transport;
    // ssh2 closes a dead connection's channels only once they are read to the end: a kept-alive socket would
    // wait forever, and a call in flight would end as "socket hang up". Fail them all now, with the reason.
    this.onLost = () => {
      const error = new AppError('CONNECT_FAILED', `${conn.options.label} is unreachable: the SSH connection was lost during a Docker call.`);
      for (const list of [...Object.values(this.sockets), ...Object.values(this.freeSockets)]) {
        for (const socket of [...(list ?? [])]) failSocket(socket as unknown as Duplex, error);
      }
    };
    conn.on('lost', this.onLost);
  }

  override destroy(): void {
    this.conn.off('lost', this.onLost);
    super.destroy();
  }

  /** Channels opened so far: with keep-alive, far fewer than requests. */
  channelsOpened = 0;

  openChannel(): Promise<Duplex> {
    this.channelsOpened++;
    if (this.transport.kind === 'streamlocal') return this.conn.streamLocal(this.transport.socketPath).then((ch) => asSocket(ch));
    const argv = this.transport.sudo ? ['sudo', '-n', 'docker', 'system', 'dial-stdio'] : ['docker', 'system', 'dial-stdio'];
    return this.conn.spawn(argv).then(({ channel }) => withExitReason(asSocket(channel), channel, argv));
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
