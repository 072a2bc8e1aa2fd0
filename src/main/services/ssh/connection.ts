import { EventEmitter } from 'node:events';
import { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import ssh2, { type Client, type ClientChannel, type ConnectConfig, type PseudoTtyOptions, type SFTPWrapper } from 'ssh2';
import { AppError } from '../core/errors.ts';
import { backoffDelay } from './backoff.ts';
import { isChannelOpenFailure, sshError } from './errors.ts';
import { runExec, type ExecOptions, type ExecResult } from './exec.ts';
import { hostKeyInfo, type HostKeyInfo } from './host-key.ts';
import { connectConfig } from './connect-config.ts';
import type { HandshakeGate } from './connect-gate.ts';
import { pipelineUserauth, signPublicKeyDirectly } from './direct-auth.ts';
import { ServerNagle } from './server-nagle.ts';
import { ChannelLimiter } from './limiter.ts';
import { toCommand } from './quote.ts';

export interface SshEndpoint {
  host: string;
  port: number;
  username: string;
}

export interface SshAuth {
  privateKey?: string | Buffer;
  passphrase?: string;
  password?: string;
  /** An agent socket path (SSH_AUTH_SOCK) or "pageant" on Windows. */
  agent?: string;
}

/** `asked`: the user was asked (a first-use prompt), so the handshake may have waited long. */
export type HostKeyDecision = { ok: true; asked?: boolean } | { ok: false; error: AppError };

export interface HostKeyVerifier {
  /** May wait for the user (a first-use prompt); `signal` aborts when the connection is closed meanwhile. */
  verify(endpoint: SshEndpoint, key: HostKeyInfo, signal?: AbortSignal): Promise<HostKeyDecision>;
  /** Host-key algorithms to prefer (the pinned key's type first), so a pin is compared with a key of its type. */
  preferredAlgorithms(endpoint: SshEndpoint): string[] | undefined;
}

export type ConnectionState = 'idle' | 'connecting' | 'ready' | 'reconnecting' | 'failed' | 'closed';

export interface StateEvent {
  state: ConnectionState;
  error: AppError | null;
  attempt: number;
  /** When the next reconnect attempt starts (reconnecting only). */
  retryAt: number | null;
}

export interface SshConnectionOptions {
  label: string;
  endpoint: SshEndpoint;
  resolveAuth(): Promise<SshAuth>;
  hostKeys: HostKeyVerifier;
  /** For ProxyJump: the TCP stream to `endpoint`, opened through the jump connection. */
  openSocket?: () => Promise<Duplex>;
  maxSessions?: number;
  keepaliveIntervalMs?: number;
  keepaliveCountMax?: number;
  /** Handshake and authentication time limit; paused while a host-key prompt waits for the user. */
  readyTimeoutMs?: number;
  reconnect?: { baseMs: number; maxMs: number; maxAttempts: number };
  /** Limits concurrent handshakes (sshd's MaxStartups); the pool passes one shared by all its connections. */
  connectGate?: HandshakeGate;
  /** ssh2's protocol trace (guard tests read what was sent). */
  debug?: (line: string) => void;
}

const NO_RETRY = new Set(['AUTH_FAILED', 'HOST_KEY_CHANGED', 'HOST_KEY_UNKNOWN', 'INPUT_INVALID', 'NOT_FOUND', 'VAULT_LOCKED', 'KEYCHAIN_UNAVAILABLE']);
/** Failures only the user can fix: no caller starts another handshake until they act (edit, trust, test, disconnect: a new connection). */
const STICKY = new Set(['AUTH_FAILED', 'HOST_KEY_CHANGED', 'HOST_KEY_UNKNOWN']);

/** The user trusted the key after the server had stopped waiting (sshd's LoginGraceTime): connect again, now pinned. */
class TrustedAfterClose extends Error {}

/**
 * One SSH connection to one server, shared by everything that talks to it (Docker API, exec, SFTP,
 * terminals, port forwards). Session channels go through a limiter that adapts to the server's
 * MaxSessions; after an unexpected drop it reconnects with exponential backoff and jitter, but never
 * after an authentication failure or a refused host key: those stay failed for every caller.
 */
export class SshConnection extends EventEmitter<{ state: [StateEvent]; ready: [Client]; lost: [AppError] }> {
  readonly options: SshConnectionOptions;
  readonly limiter: ChannelLimiter;
  private client: Client | null = null;
  private pending: Promise<Client> | null = null;
  private current: StateEvent = { state: 'idle', error: null, attempt: 0, retryAt: null };
  private reconnectTimer: NodeJS.Timeout | null = null;
  private closedByUser = false;
  /** Aborted by close(): withdraws a host-key prompt this connection is waiting on. */
  private readonly lifetime = new AbortController();
  /** How many times this connection became ready (1 = first connect). */
  generation = 0;
  /** Whether Nagle is off on the TCP socket (true for direct connections; a jump channel has no socket of its own). */
  noDelay = false;
  /** Nagle on the server's side of the current client. */
  serverNagle = new ServerNagle(() => this.exec(['true'], { timeoutMs: 10_000 }));

  constructor(options: SshConnectionOptions) {
    super();
    this.options = options;
    this.limiter = new ChannelLimiter(options.maxSessions ?? 10);
  }

  get state(): StateEvent {
    return this.current;
  }

  private setState(next: Partial<StateEvent> & { state: ConnectionState }): void {
    this.current = { error: null, attempt: 0, retryAt: null, ...next };
    this.emit('state', this.current);
  }

  /** The ready client, connecting (or waiting for the running attempt) when needed. */
  ready(): Promise<Client> {
    if (this.closedByUser) return Promise.reject(new AppError('CONNECT_FAILED', `The connection to ${this.options.label} was closed.`));
    if (this.client && this.current.state === 'ready') return Promise.resolve(this.client);
    if (this.pending) return this.pending;
    const { state, error } = this.current;
    if (state === 'failed' && error && STICKY.has(error.code)) return Promise.reject(error);
    if (this.reconnectTimer) {
      // A user is waiting: try now instead of at the scheduled time.
      clearTimeout(this.reconnectTimer);
      this.reconnectTimer = null;
    }
    const attempt = this.current.state === 'reconnecting' ? this.current.attempt : 0;
    this.pending = this.connectOnce(attempt).finally(() => {
      this.pending = null;
    });
    return this.pending;
  }

  private async connectOnce(attempt: number): Promise<Client> {
    const { label } = this.options;
    this.setState({ state: attempt > 0 ? 'reconnecting' : 'connecting', attempt });
    try {
      const auth = await this.options.resolveAuth();
      const leave = (await this.options.connectGate?.enter(this.lifetime.signal)) ?? (() => {});
      let client: Client;
      try {
        client = await this.handshake(auth);
      } catch (e) {
        if (!(e instanceof TrustedAfterClose) || this.closedByUser) throw e;
        client = await this.handshake(auth);
      } finally {
        leave();
      }
      this.adopt(client);
      return client;
    } catch (e) {
      const error = e instanceof TrustedAfterClose ? new AppError('CONNECT_FAILED', `The connection to ${label} was closed.`) : e instanceof AppError ? e : sshError(e, label);
      this.setState({ state: 'failed', error, attempt });
      if (attempt > 0 && !NO_RETRY.has(error.code)) this.scheduleReconnect(attempt + 1, error);
      throw error;
    }
  }

  /**
   * One ssh2 handshake up to authenticated. The time limit is ours (ssh2's own is off) so that it can pause while a
   * host-key prompt waits for the user; if the server gives up meanwhile, the answer still decides the outcome.
   */
  private async handshake(auth: SshAuth): Promise<Client> {
    const { endpoint, label } = this.options;
    const limitMs = this.options.readyTimeoutMs ?? 20_000;
    let sock: Duplex | undefined;
    const client = new ssh2.Client();
    let hostKeyError: AppError | null = null;
    let deciding: Promise<HostKeyDecision> | null = null;
    let settled = false;
    let fail: (e: unknown) => void = () => {};
    let timer: NodeJS.Timeout | null = null;
    let remainingMs = limitMs;
    let timerStartedAt = 0;
    const startTimer = () => {
      timerStartedAt = Date.now();
      timer = setTimeout(() => {
        fail(Object.assign(new Error('Timed out while waiting for handshake'), { level: 'client-timeout' }));
        client.destroy();
      }, remainingMs);
    };
    const pauseTimer = () => {
      if (!timer) return;
      clearTimeout(timer);
      timer = null;
      remainingMs = Math.max(0, remainingMs - (Date.now() - timerStartedAt));
    };
    // ssh2 may emit several errors for one failure (a reset, then "lost before handshake"): listen for the client's whole life.
    client.on('error', (e: Error) => fail(e));
    try {
      sock = this.options.openSocket ? await this.options.openSocket() : undefined;
      const config: ConnectConfig = {
        ...connectConfig(this.options, auth, sock),
        hostVerifier: (key: Buffer, verify: (ok: boolean) => void) => {
          pauseTimer();
          const decision = this.options.hostKeys.verify(endpoint, hostKeyInfo(key), this.lifetime.signal).catch((e: unknown): HostKeyDecision => ({ ok: false, error: sshError(e, label) }));
          deciding = decision;
          void decision.then((d) => {
            deciding = null;
            if (!d.ok) hostKeyError = d.error;
            if (settled) return;
            startTimer();
            try {
              verify(d.ok);
            } catch {
              /* the connection is already gone */
            }
          });
        },
      };
      if (auth.password) {
        client.on('keyboard-interactive', (_name, _instr, _lang, prompts, finish) => finish(prompts.map(() => auth.password!)));
      }
      await new Promise<void>((resolve, reject) => {
        fail = (e) => {
          if (settled) return;
          settled = true;
          pauseTimer();
          // The server gave up while the user was deciding: the answer decides between "connect again" and the refusal.
          if (deciding) void deciding.then((d) => reject(d.ok ? (d.asked ? new TrustedAfterClose() : sshError(e, label)) : d.error));
          else reject(hostKeyError ?? sshError(e, label));
        };
        client.once('ready', () => {
          if (settled) return;
          settled = true;
          pauseTimer();
          resolve();
        });
        client.once('close', () => fail(new AppError('CONNECT_FAILED', `SSH connection to ${label} closed during the handshake.`)));
        startTimer();
        try {
          client.connect(config);
          // Nagle off from the first byte (the handshake's small packets would wait for ACKs); two round trips less.
          if (!sock) client.setNoDelay(true);
          signPublicKeyDirectly(client);
          pipelineUserauth(client);
        } catch (e) {
          fail(e);
        }
      }).finally(() => {
        client.removeAllListeners('ready');
        client.removeAllListeners('close');
      });
      return client;
    } catch (e) {
      pauseTimer();
      client.destroy();
      sock?.destroy();
      throw e;
    }
  }

  private adopt(client: Client): void {
    this.client = client;
    this.generation++;
    const raw = (client as unknown as { _sock?: unknown })._sock;
    if (raw instanceof Socket) {
      raw.setNoDelay(true);
      this.noDelay = true;
    }
    // Errors after this point are reported through 'close' (the listener from connectOnce stays).
    client.once('close', () => {
      if (this.client !== client) return;
      this.client = null;
      if (this.closedByUser) return;
      const error = new AppError('CONNECT_FAILED', `Lost the connection to ${this.options.label}.`);
      this.emit('lost', error);
      this.scheduleReconnect(1, error);
    });
    this.serverNagle = new ServerNagle(() => this.exec(['true'], { timeoutMs: 10_000 }));
    this.setState({ state: 'ready' });
    this.emit('ready', client);
  }

  private scheduleReconnect(attempt: number, error: AppError): void {
    const policy = this.options.reconnect ?? { baseMs: 500, maxMs: 30_000, maxAttempts: 10 };
    if (this.closedByUser) return;
    if (attempt > policy.maxAttempts) {
      this.setState({ state: 'failed', error, attempt });
      return;
    }
    const delay = backoffDelay(attempt - 1, policy.baseMs, policy.maxMs);
    this.setState({ state: 'reconnecting', error, attempt, retryAt: Date.now() + delay });
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      if (this.pending || this.closedByUser) return;
      this.pending = this.connectOnce(attempt).finally(() => {
        this.pending = null;
      });
      this.pending.catch(() => {});
    }, delay);
    this.reconnectTimer.unref?.();
  }

  /**
   * Opens a session channel (counted against MaxSessions). When the server refuses one while others are
   * open, its real limit is learned and the request waits for a free slot instead of failing.
   */
  async withSession<T>(open: (client: Client) => Promise<T>, signal?: AbortSignal, background = false): Promise<{ value: T; release: () => void }> {
    for (let tries = 0; tries < 5; tries++) {
      const release = await this.limiter.acquire({ signal, background });
      try {
        const client = await this.ready();
        const value = await open(client);
        this.serverNagle.sessionRan();
        return { value, release };
      } catch (e) {
        const openNow = this.limiter.inUse - 1;
        release();
        if (isChannelOpenFailure(e) && openNow > 0 && tries < 4) {
          this.limiter.learnLimit(openNow);
          continue;
        }
        throw e;
      }
    }
    throw new AppError('CONNECT_FAILED', `${this.options.label} refused to open a session channel.`);
  }

  /** Runs argv on the server (quoted in one place), with timeout, exit code, streaming and cancellation. */
  async exec(argv: readonly string[], opts: ExecOptions = {}): Promise<ExecResult> {
    const { value: channel, release } = await this.withSession((client) => openExec(client, argv, opts.pty), opts.signal, opts.background);
    try {
      return await runExec(channel, argv, opts);
    } finally {
      release();
    }
  }

  /** A session channel running argv whose stdio the caller drives (dial-stdio, log followers…). */
  async spawn(argv: readonly string[], opts: { signal?: AbortSignal; pty?: PseudoTtyOptions } = {}): Promise<{ channel: ClientChannel; release: () => void }> {
    const { value: channel, release } = await this.withSession((client) => openExec(client, argv, opts.pty), opts.signal);
    channel.once('close', release);
    return { channel, release };
  }

  async shell(window: PseudoTtyOptions): Promise<{ channel: ClientChannel; release: () => void }> {
    const { value: channel, release } = await this.withSession(
      (client) => new Promise<ClientChannel>((resolve, reject) => client.shell(window, (err, ch) => (err ? reject(err) : resolve(ch)))),
    );
    channel.once('close', release);
    return { channel, release };
  }

  async sftp(): Promise<{ sftp: SFTPWrapper; release: () => void }> {
    const { value: sftp, release } = await this.withSession(
      (client) => new Promise<SFTPWrapper>((resolve, reject) => client.sftp((err, s) => (err ? reject(err) : resolve(s)))),
    );
    sftp.once('close', release);
    return { sftp, release };
  }

  /** A `direct-streamlocal` channel to a Unix socket on the server (not counted by MaxSessions). */
  async streamLocal(socketPath: string): Promise<ClientChannel> {
    const client = await this.ready();
    return this.watched(new Promise((resolve, reject) => client.openssh_forwardOutStreamLocal(socketPath, (err, ch) => (err ? reject(err) : resolve(ch)))));
  }

  /** A `direct-tcpip` channel to host:port as seen from the server (jump hosts, port forwards). */
  async forwardOut(host: string, port: number): Promise<ClientChannel> {
    const client = await this.ready();
    return this.watched(new Promise((resolve, reject) => client.forwardOut('127.0.0.1', 0, host, port, (err, ch) => (err ? reject(err) : resolve(ch)))));
  }

  private async watched(opening: Promise<ClientChannel>): Promise<ClientChannel> {
    const channel = await opening;
    this.serverNagle.watch(channel);
    return channel;
  }

  /** Drops the link now (it will reconnect on the next use); for tests of reconnection and for "reconnect" in the UI. */
  drop(): void {
    this.client?.end();
  }

  close(): void {
    this.closedByUser = true;
    this.lifetime.abort();
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
    const c = this.client;
    this.client = null;
    c?.end();
    this.setState({ state: 'closed' });
    this.removeAllListeners('ready');
  }
}

function openExec(client: Client, argv: readonly string[], pty?: PseudoTtyOptions): Promise<ClientChannel> {
  const cmd = toCommand(argv); // every argument quoted, in one place
  return new Promise((resolve, reject) => client.exec(cmd, pty ? { pty } : {}, (err, ch) => (err ? reject(err) : resolve(ch))));
}
