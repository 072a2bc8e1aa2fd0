import type Docker from 'dockerode';
import type { ConnectionPool } from '../ssh/pool.ts';
import { connectDocker, type DockerClient } from './client.ts';
import { followDockerEvents, onlyEvents, type DockerEvent, type DockerEventsItem } from './events.ts';
import { containerSummary, type ContainerSummary } from './names.ts';


/** The Docker API of every server, each reached through that server's one SSH connection. */
export class DockerService {
  /** Per server: the client and the SSH connection generation it was made on. */
  private readonly clients = new Map<string, { generation: number | null; client: Promise<DockerClient> }>();
  private readonly pool: ConnectionPool;
  private readonly socketPathOf: (serverId: string) => Promise<string>;

  constructor(pool: ConnectionPool, socketPathOf: (serverId: string) => Promise<string>) {
    this.pool = pool;
    this.socketPathOf = socketPathOf;
  }

  /**
   * The server's Docker client. After the SSH connection was re-established, the old client (whose kept-alive
   * channels belonged to the previous connection) is dropped and a new one made, so no request waits on a
   * channel of a dead connection.
   */
  client(serverId: string): Promise<DockerClient> {
    const cached = this.clients.get(serverId);
    // Still connecting (generation unknown yet), or made on the live connection: reuse it.
    if (cached && (cached.generation === null || cached.generation === this.pool.peek(serverId)?.generation)) return cached.client;
    if (cached) this.invalidate(serverId);
    const entry: { generation: number | null; client: Promise<DockerClient> } = { generation: null, client: Promise.resolve(null as never) };
    entry.client = (async () => {
      const conn = await this.pool.acquire(serverId);
      const docker = await connectDocker(conn, { socketPath: await this.socketPathOf(serverId) });
      entry.generation = conn.generation;
      return docker;
    })();
    this.clients.set(serverId, entry);
    const client = entry.client;
    client.then(
      () => undefined,
      () => {
        if (this.clients.get(serverId) === entry) this.clients.delete(serverId);
      },
    );
    return client;
  }

  async api(serverId: string): Promise<Docker> {
    return (await this.client(serverId)).api;
  }

  async listContainers(serverId: string, all = true): Promise<ContainerSummary[]> {
    const list = await (await this.api(serverId)).listContainers({ all });
    return list.map(containerSummary);
  }

  /** Engine events for background watchers: across drops, and waiting for the user to fix a permanent failure. */
  events(serverId: string, signal: AbortSignal, sinceNano?: string): AsyncGenerator<DockerEvent> {
    return onlyEvents(followDockerEvents(() => this.client(serverId), { signal, ...(sinceNano ? { sinceNano } : {}) }));
  }

  /** Engine events plus the stream's state (reconnecting/live), for a caller; a permanent failure ends it with the error. */
  eventStream(serverId: string, signal: AbortSignal): AsyncGenerator<DockerEventsItem> {
    return followDockerEvents(() => this.client(serverId), { signal, endOnPermanent: true });
  }

  invalidate(serverId: string): void {
    const e = this.clients.get(serverId);
    this.clients.delete(serverId);
    e?.client.then((c) => c.close()).catch(() => {});
  }

  closeAll(): void {
    for (const id of [...this.clients.keys()]) this.invalidate(id);
  }
}
