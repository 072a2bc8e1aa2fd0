import { randomUUID } from 'node:crypto';
import type { TerminalInfo, TerminalOpen, TerminalTarget } from '../../../shared/contract/terminals.ts';
import { AppError } from '../core/errors.ts';
import type { DockerService } from '../docker/service.ts';
import type { ConnectionPool } from '../ssh/pool.ts';
import { openContainerTerminal } from './docker-backend.ts';
import { TerminalSession, type SessionEvent, type SessionLimits } from './session.ts';
import { openSshTerminal } from './ssh-backend.ts';

export interface TerminalsDeps {
  pool: ConnectionPool;
  docker: DockerService;
  serverName(serverId: string): Promise<string>;
  limits?: Partial<SessionLimits>;
  /** Sessions kept at once (open or exited); the oldest exited ones are forgotten first. */
  maxSessions?: number;
}

interface Entry {
  id: string;
  serverId: string;
  serverName: string;
  target: TerminalTarget;
  title: string;
  createdAt: number;
  session: TerminalSession;
  hangUp?: () => Promise<void>;
}

/**
 * Interactive terminals on servers (SSH pty on the server's one connection) and in containers (Docker
 * exec through the same connection). Sessions live in the main process, independent of any page: a page
 * reload or a second window reattaches and replays what it missed.
 */
export class TerminalsService {
  private readonly sessions = new Map<string, Entry>();
  private readonly deps: TerminalsDeps;

  constructor(deps: TerminalsDeps) {
    this.deps = deps;
  }

  async open(input: TerminalOpen): Promise<TerminalInfo> {
    this.makeRoom();
    const serverName = await this.deps.serverName(input.serverId);
    const size = { cols: input.cols, rows: input.rows };
    const entry: Omit<Entry, 'session'> & { session?: TerminalSession } = {
      id: randomUUID(),
      serverId: input.serverId,
      serverName,
      target: input.target,
      title: titleOf(serverName, input.target, input.command),
      createdAt: Date.now(),
    };
    if (input.target.kind === 'server') {
      const conn = await this.deps.pool.acquire(input.serverId);
      entry.session = new TerminalSession(await openSshTerminal(conn, size, input.command), size, this.deps.limits);
    } else {
      const docker = await this.deps.docker.client(input.serverId);
      const t = await openContainerTerminal(docker, await this.deps.pool.acquire(input.serverId), input.target, size, input.command);
      entry.session = new TerminalSession(t.backend, size, this.deps.limits);
      entry.hangUp = t.hangUp;
    }
    this.sessions.set(entry.id, entry as Entry);
    return this.info(entry as Entry);
  }

  private makeRoom(): void {
    const max = this.deps.maxSessions ?? 64;
    if (this.sessions.size < max) return;
    const exited = [...this.sessions.values()].filter((e) => e.session.end).sort((a, b) => a.createdAt - b.createdAt);
    if (exited[0]) {
      this.sessions.delete(exited[0].id);
      return;
    }
    throw new AppError('CONFLICT', `${max} terminals are open: close one first.`);
  }

  private get(id: string): Entry {
    const e = this.sessions.get(id);
    if (!e) throw new AppError('NOT_FOUND', `id: no terminal session ${id} (it was closed, or the app restarted).`);
    return e;
  }

  private info(e: Entry): TerminalInfo {
    const s = e.session;
    return {
      id: e.id,
      serverId: e.serverId,
      serverName: e.serverName,
      target: e.target,
      title: e.title,
      state: s.end ? 'exited' : 'open',
      exitCode: s.end?.exitCode ?? null,
      exitSignal: s.end?.exitSignal ?? null,
      reason: s.end?.reason ?? null,
      cols: s.cols,
      rows: s.rows,
      createdAt: e.createdAt,
      attached: s.attached,
    };
  }

  list(): TerminalInfo[] {
    return [...this.sessions.values()].sort((a, b) => a.createdAt - b.createdAt).map((e) => this.info(e));
  }

  session(id: string): TerminalSession {
    return this.get(id).session;
  }

  attach(id: string, since: number, signal?: AbortSignal, window: number | null = null): AsyncGenerator<SessionEvent> {
    return this.get(id).session.follow(since, signal, window);
  }

  ack(id: string, reader: string, upTo: number): boolean {
    return this.get(id).session.ack(reader, upTo);
  }

  input(id: string, data: string): void {
    const s = this.get(id).session;
    if (s.end) throw new AppError('CONFLICT', `id: the terminal has ended (${s.end.reason}).`);
    s.write(data);
  }

  async resize(id: string, cols: number, rows: number): Promise<void> {
    await this.get(id).session.resize(cols, rows);
  }

  async close(id: string): Promise<boolean> {
    const e = this.sessions.get(id);
    if (!e) return false;
    this.sessions.delete(id);
    if (!e.session.end) {
      await e.hangUp?.().catch(() => {});
      e.session.close();
    }
    return true;
  }

  /** Ends every terminal of a server (it was removed or edited). */
  async closeServer(serverId: string): Promise<void> {
    await Promise.all([...this.sessions.values()].filter((e) => e.serverId === serverId).map((e) => this.close(e.id)));
  }

  async closeAll(): Promise<void> {
    await Promise.all([...this.sessions.keys()].map((id) => this.close(id)));
  }
}

function titleOf(serverName: string, target: TerminalTarget, command?: readonly string[]): string {
  const where = target.kind === 'server' ? serverName : `${target.containerId} on ${serverName}`;
  return command ? `${command.join(' ').slice(0, 60)} — ${where}` : where;
}
