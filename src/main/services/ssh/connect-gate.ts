import { ChannelLimiter } from './limiter.ts';

/** What one connection needs of the gate: a slot for its handshake, released once authenticated or failed. */
export interface HandshakeGate {
  enter(signal?: AbortSignal): Promise<() => void>;
}

export interface ConnectLimits {
  /** Handshakes at once to one sshd: OpenSSH's MaxStartups (10:30:100) starts dropping at 10 unauthenticated. */
  perServer: number;
  /** Handshakes at once overall (a fleet starting up). */
  total: number;
}

/**
 * 6 leaves room below MaxStartups' 10: sshd counts a connection as starting until its listener hears that the child
 * authenticated, a little after the client knows (at 8, 2 of 20 logins to one sshd were dropped on a loaded machine).
 */
export const DEFAULT_CONNECT_LIMITS: ConnectLimits = { perServer: 6, total: 64 };

/**
 * Bounds concurrent SSH handshakes per sshd and overall, so that many connections to one server (several users, a
 * fleet restarting, reconnects after an outage) queue instead of being dropped by sshd's MaxStartups. A handshake
 * takes its server's slot first, then a global one, so a queue for one busy server never holds global slots.
 */
export class ConnectGate {
  private readonly limits: ConnectLimits;
  private readonly total: ChannelLimiter;
  private readonly perServer = new Map<string, ChannelLimiter>();
  /** Most handshakes seen at once per key and overall (diagnostics). */
  readonly peak = { total: 0, perServer: new Map<string, number>() };

  constructor(limits: ConnectLimits = DEFAULT_CONNECT_LIMITS) {
    this.limits = limits;
    this.total = new ChannelLimiter(limits.total);
  }

  /**
   * `key` names one sshd as this machine reaches it (host:port, and the jump host in front of it). A handshake
   * through a jump host takes no global slot: it may have to wait for the jump host's own handshake, which needs one.
   */
  for(key: string, opts: { total?: boolean } = {}): HandshakeGate {
    return { enter: (signal) => this.enter(key, signal, opts) };
  }

  async enter(key: string, signal?: AbortSignal, opts: { total?: boolean } = {}): Promise<() => void> {
    let server = this.perServer.get(key);
    if (!server) {
      server = new ChannelLimiter(this.limits.perServer);
      this.perServer.set(key, server);
    }
    const releaseServer = await server.acquire(signal);
    let releaseTotal: () => void = () => {};
    try {
      if (opts.total !== false) releaseTotal = await this.total.acquire(signal);
    } catch (e) {
      releaseServer();
      this.forget(key, server);
      throw e;
    }
    this.peak.total = Math.max(this.peak.total, this.total.inUse);
    this.peak.perServer.set(key, Math.max(this.peak.perServer.get(key) ?? 0, server.inUse));
    let released = false;
    return () => {
      if (released) return;
      released = true;
      releaseTotal();
      releaseServer();
      this.forget(key, server);
    };
  }

  private forget(key: string, server: ChannelLimiter): void {
    if (server.inUse === 0 && server.queued === 0 && this.perServer.get(key) === server) this.perServer.delete(key);
  }
}
