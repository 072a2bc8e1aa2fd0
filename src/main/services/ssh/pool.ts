import { EventEmitter } from 'node:events';
import { AppError } from '../core/errors.ts';
import { ConnectGate, type ConnectLimits } from './connect-gate.ts';
import { SshConnection, type HostKeyVerifier, type SshAuth, type SshEndpoint, type StateEvent } from './connection.ts';

export interface ServerConnectInfo {
  label: string;
  endpoint: SshEndpoint;
  /** ProxyJump: the server to connect through (which may itself have a jump). */
  jumpServerId: string | null;
  maxSessions?: number;
  resolveAuth(): Promise<SshAuth>;
}

export interface PoolOptions {
  describe(serverId: string): Promise<ServerConnectInfo>;
  hostKeys: HostKeyVerifier;
  reconnect?: { baseMs: number; maxMs: number; maxAttempts: number };
  keepaliveIntervalMs?: number;
  keepaliveCountMax?: number;
  /** How long a handshake may take, not counting the time a host-key prompt waits for the user. */
  readyTimeoutMs?: number;
  /** Concurrent handshakes per sshd and overall (default 6 and 64). */
  connectLimits?: ConnectLimits;
}

const MAX_JUMP_DEPTH = 8;

/**
 * One SSH connection per server, for the whole app. Jump hosts are connections of the same pool,
 * shared and reference-counted by the servers behind them.
 */
export class ConnectionPool extends EventEmitter<{ state: [string, StateEvent] }> {
  private readonly connections = new Map<string, SshConnection>();
  /** jump server id → ids of servers connecting through it */
  private readonly dependents = new Map<string, Set<string>>();
  private readonly direct = new Set<string>();
  private readonly opts: PoolOptions;
  /** Shared by every connection of the pool: several servers may be one sshd (other users, other names). */
  readonly gate: ConnectGate;

  constructor(opts: PoolOptions) {
    super();
    this.opts = opts;
    this.gate = new ConnectGate(opts.connectLimits);
  }

  /** The connection to a server, ready for use. */
  async acquire(serverId: string): Promise<SshConnection> {
    this.direct.add(serverId);
    const conn = await this.connection(serverId, 0);
    await conn.ready();
    return conn;
  }

  state(serverId: string): StateEvent {
    return this.connections.get(serverId)?.state ?? { state: 'idle', error: null, attempt: 0, retryAt: null };
  }

  peek(serverId: string): SshConnection | undefined {
    return this.connections.get(serverId);
  }

  private async connection(serverId: string, depth: number, chain: string[] = []): Promise<SshConnection> {
    if (depth > MAX_JUMP_DEPTH || chain.includes(serverId)) {
      throw new AppError('INPUT_INVALID', `jumpServerId: the jump chain ${[...chain, serverId].join(' → ')} loops or is longer than ${MAX_JUMP_DEPTH}`);
    }
    const existing = this.connections.get(serverId);
    if (existing) return existing;
    const info = await this.opts.describe(serverId);
    let jump: SshConnection | null = null;
    if (info.jumpServerId) {
      jump = await this.connection(info.jumpServerId, depth + 1, [...chain, serverId]);
      if (!this.dependents.has(info.jumpServerId)) this.dependents.set(info.jumpServerId, new Set());
      this.dependents.get(info.jumpServerId)!.add(serverId);
    }
    const raced = this.connections.get(serverId);
    if (raced) return raced;
    const conn = new SshConnection({
      label: info.label,
      endpoint: info.endpoint,
      hostKeys: this.opts.hostKeys,
      resolveAuth: info.resolveAuth,
      ...(info.maxSessions ? { maxSessions: info.maxSessions } : {}),
      ...(this.opts.reconnect ? { reconnect: this.opts.reconnect } : {}),
      ...(this.opts.keepaliveIntervalMs ? { keepaliveIntervalMs: this.opts.keepaliveIntervalMs } : {}),
      ...(this.opts.keepaliveCountMax ? { keepaliveCountMax: this.opts.keepaliveCountMax } : {}),
      ...(this.opts.readyTimeoutMs ? { readyTimeoutMs: this.opts.readyTimeoutMs } : {}),
      ...(jump ? { openSocket: () => jump.forwardOut(info.endpoint.host, info.endpoint.port) } : {}),
      // One sshd as reached from here: the same address behind another jump host is another server.
      connectGate: this.gate.for(`${info.jumpServerId ?? ''}>${info.endpoint.host}:${info.endpoint.port}`, { total: !jump }),
    });
    conn.on('state', (s) => this.emit('state', serverId, s));
    this.connections.set(serverId, conn);
    return conn;
  }

  /** Closes a server's connection (after an edit or removal) and those of servers behind it; unused jumps close too. */
  invalidate(serverId: string): void {
    for (const dep of this.dependents.get(serverId) ?? []) this.invalidate(dep);
    this.dependents.delete(serverId);
    const conn = this.connections.get(serverId);
    this.connections.delete(serverId);
    this.direct.delete(serverId);
    conn?.close();
    for (const [jumpId, deps] of this.dependents) {
      if (deps.delete(serverId) && deps.size === 0 && !this.direct.has(jumpId)) {
        this.dependents.delete(jumpId);
        this.invalidate(jumpId);
      }
    }
  }

  /** How many servers connect through this one (for tests and diagnostics). */
  refCount(serverId: string): number {
    return this.dependents.get(serverId)?.size ?? 0;
  }

  closeAll(): void {
    for (const id of [...this.connections.keys()]) this.invalidate(id);
  }
}
