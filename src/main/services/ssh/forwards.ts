import { randomUUID } from 'node:crypto';
import type { ConnectionPool } from './pool.ts';
import { startLocalForward, type LocalForward } from './forward.ts';

export interface ForwardInfo {
  id: string;
  serverId: string;
  localHost: string;
  localPort: number;
  remoteHost: string;
  remotePort: number;
  connections: number;
}

/** Port forwards the user opened (e.g. a local psql to a database on the server), over each server's one connection. */
export class ForwardsService {
  private readonly active = new Map<string, { serverId: string; fwd: LocalForward }>();
  private readonly pool: ConnectionPool;

  constructor(pool: ConnectionPool) {
    this.pool = pool;
  }

  async start(serverId: string, remoteHost: string, remotePort: number, localPort = 0): Promise<ForwardInfo> {
    const conn = await this.pool.acquire(serverId);
    const fwd = await startLocalForward(conn, { remoteHost, remotePort, localPort });
    const id = randomUUID();
    this.active.set(id, { serverId, fwd });
    return this.info(id);
  }

  private info(id: string): ForwardInfo {
    const { serverId, fwd } = this.active.get(id)!;
    return { id, serverId, localHost: fwd.localHost, localPort: fwd.localPort, remoteHost: fwd.remoteHost, remotePort: fwd.remotePort, connections: fwd.connections() };
  }

  list(): ForwardInfo[] {
    return [...this.active.keys()].map((id) => this.info(id));
  }

  async stop(id: string): Promise<boolean> {
    const f = this.active.get(id);
    if (!f) return false;
    this.active.delete(id);
    await f.fwd.close();
    return true;
  }

  async closeAll(): Promise<void> {
    await Promise.all([...this.active.keys()].map((id) => this.stop(id)));
  }
}
