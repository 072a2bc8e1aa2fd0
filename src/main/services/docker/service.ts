import type Docker from 'dockerode';
import type { ConnectionPool } from '../ssh/pool.ts';
import { connectDocker, type DockerClient } from './client.ts';
import { followDockerEvents, type DockerEvent } from './events.ts';

export interface ContainerSummary {
  id: string;
  name: string;
  image: string;
  state: string;
  status: string;
  created: number;
}

/** The Docker API of every server, each reached through that server's one SSH connection. */
export class DockerService {
  private readonly clients = new Map<string, Promise<DockerClient>>();
  private readonly pool: ConnectionPool;
  private readonly socketPathOf: (serverId: string) => Promise<string>;

  constructor(pool: ConnectionPool, socketPathOf: (serverId: string) => Promise<string>) {
    this.pool = pool;
    this.socketPathOf = socketPathOf;
  }

  client(serverId: string): Promise<DockerClient> {
    let p = this.clients.get(serverId);
    if (!p) {
      p = (async () => connectDocker(await this.pool.acquire(serverId), { socketPath: await this.socketPathOf(serverId) }))();
      this.clients.set(serverId, p);
      p.catch(() => this.clients.delete(serverId));
    }
    return p;
  }

  async api(serverId: string): Promise<Docker> {
    return (await this.client(serverId)).api;
  }

  async listContainers(serverId: string, all = true): Promise<ContainerSummary[]> {
    const list = await (await this.api(serverId)).listContainers({ all });
    return list.map((c) => ({
      id: c.Id,
      name: (c.Names[0] ?? c.Id.slice(0, 12)).replace(/^\//, ''),
      image: c.Image,
      state: c.State,
      status: c.Status,
      created: c.Created * 1000,
    }));
  }

  events(serverId: string, signal: AbortSignal, sinceNano?: string): AsyncGenerator<DockerEvent> {
    return followDockerEvents(() => this.client(serverId), { signal, ...(sinceNano ? { sinceNano } : {}) });
  }

  invalidate(serverId: string): void {
    const p = this.clients.get(serverId);
    this.clients.delete(serverId);
    p?.then((c) => c.close()).catch(() => {});
  }

  closeAll(): void {
    for (const id of [...this.clients.keys()]) this.invalidate(id);
  }
}
