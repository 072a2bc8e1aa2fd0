import { eq } from 'drizzle-orm';
import type { z } from 'zod';
import type { CreateClusterDatabaseInput, DatabaseCluster, ManagedDatabase, ResourceLimits } from '../../../shared/contract/databases.ts';
import { BACKUP_TOOLS_IMAGE } from '../../../shared/contract/images.ts';
import { AppError } from '../core/errors.ts';
import type { Db } from '../db/index.ts';
import { dataDatabases } from '../db/schema.ts';
import { newRow, rowsFreeFor } from './new-row.ts';
import type { DockerClient } from '../docker/client.ts';
import { isDockerNotFound } from '../docker/errors.ts';
import { ensureImage } from '../docker/images.ts';
import type { DockerService } from '../docker/service.ts';
import type { SecretsService } from '../secrets/service.ts';
import { ClusterDatabaseOps, CLUSTER_DB_NETWORK, databaseServiceSpec, findTaskContainer, isClusterRow, portContainerName, portContainerSpec, type DatabaseSwarm } from './cluster.ts';
import type { DatabasesService } from './service.ts';

type Row = typeof dataDatabases.$inferSelect;

export interface ClusterDatabasesDeps {
  db: Db;
  docker: DockerService;
  secrets: SecretsService;
  swarm: DatabaseSwarm;
  databases: Pick<DatabasesService, 'resolve' | 'password' | 'waitReady' | 'view' | 'freePort'>;
}

const IMAGE_MAPPING = { mapping: "the node's server's data image mapping" };

/**
 * Databases on a cluster, each pinned to one node: a Swarm service (replicas 1, `node.id==<node>`, a local volume,
 * dnsrr on the apps overlay, alias = its name) created through a manager, plus a port container on the node that
 * publishes it on the node's loopback. The row belongs to the node's server, so backups and forwards run there.
 */
export class ClusterDatabases {
  private readonly deps: ClusterDatabasesDeps;
  private readonly ops: ClusterDatabaseOps;

  constructor(deps: ClusterDatabasesDeps) {
    this.deps = deps;
    this.ops = new ClusterDatabaseOps(deps.swarm);
  }

  /** Validates the node, makes the service and the port container, records the row (the caller serialises per server). */
  async create(input: z.output<typeof CreateClusterDatabaseInput>): Promise<{ client: DockerClient; row: Row }> {
    const { manager, nodeId } = await this.ops.target(input.clusterId, input.serverId);
    const existing = rowsFreeFor(this.deps.db, input.serverId, input.name);
    const { row, spec, password } = newRow(input, { network: CLUSTER_DB_NETWORK, hostPort: this.deps.databases.freePort(existing) });
    const client = await this.deps.docker.client(input.serverId);
    const resolved = this.deps.databases.resolve(input.serverId, row.image);
    const tools = this.deps.databases.resolve(input.serverId, BACKUP_TOOLS_IMAGE);
    await ensureImage(client.api, resolved, IMAGE_MAPPING);
    await ensureImage(client.api, tools, IMAGE_MAPPING);
    await this.ops.checkFree(manager, row);
    const secret = await this.deps.secrets.put(`database ${input.name}`, 'database-password', password);
    row.passwordRef = secret.ref;
    try {
      await this.ops.createService(manager, databaseServiceSpec(row, spec, resolved, password, nodeId));
      await client.api.createContainer(portContainerSpec(row, spec, tools)).then((c) => c.start());
      this.deps.db.insert(dataDatabases).values(row).run();
    } catch (e) {
      await client.api.getContainer(portContainerName(row)).remove({ force: true }).catch(() => {});
      await this.ops.removeService(row).catch(() => {});
      await this.deps.secrets.remove(secret.ref);
      throw e;
    }
    return { client, row };
  }

  /** The view's cluster part; a database with no running task shows Swarm's task state and the reason. */
  async placed(row: Row, state: string): Promise<{ cluster: DatabaseCluster | null; state?: string }> {
    const cluster = await this.ops.placement(row, state === 'running');
    if (!cluster || state === 'running') return { cluster };
    return { cluster, state: cluster.taskState ?? state };
  }

  async action(row: Row, what: 'start' | 'stop' | 'restart'): Promise<ManagedDatabase> {
    const client = await this.deps.docker.client(row.serverId);
    const before = await findTaskContainer(client, row);
    if (what === 'stop') {
      await this.ops.update(row, ClusterDatabaseOps.replicas(0));
      await ClusterDatabaseOps.waitTask(client, row, (c) => !c?.running, 'the task did not stop');
      return this.deps.databases.view(row, client);
    }
    await this.ops.update(row, what === 'restart' ? ClusterDatabaseOps.restart : ClusterDatabaseOps.replicas(1));
    if (what === 'restart' && before?.running) await ClusterDatabaseOps.waitTask(client, row, (c) => !!c?.running && c.id !== before.id, 'no new task ran');
    await this.deps.databases.waitReady(client, row);
    return this.deps.databases.view(row, client);
  }

  /** Limits are the service's: a change starts a new task with them (a restart of the database). */
  async setLimits(row: Row, limits: ResourceLimits): Promise<ManagedDatabase> {
    const client = await this.deps.docker.client(row.serverId);
    const before = await findTaskContainer(client, row);
    await this.ops.update(row, ClusterDatabaseOps.limits(limits));
    const next: Row = { ...row, limits };
    this.deps.db.update(dataDatabases).set({ limits: next.limits }).where(eq(dataDatabases.id, row.id)).run();
    if (before?.running) await ClusterDatabaseOps.waitTask(client, row, (c) => !!c?.running && c.id !== before.id, 'no task with the new limits ran');
    await this.deps.databases.waitReady(client, next);
    return this.deps.databases.view(next, client);
  }

  /** Removes the service and the port container, and waits until the task container is gone (the volume is free then). */
  async removeRunning(client: DockerClient, row: Row): Promise<void> {
    await this.ops.removeService(row);
    await client.api
      .getContainer(portContainerName(row))
      .remove({ force: true })
      .catch((e: unknown) => {
        if (!isDockerNotFound(e)) throw e;
      });
    await ClusterDatabaseOps.waitTask(client, row, (c) => c === null, 'its task container was not removed');
  }

  moveToNode(row: Row, serverId: string): Promise<ManagedDatabase> {
    if (!isClusterRow(row)) throw new AppError('INPUT_INVALID', `id: ${row.name} is not a database on a cluster`);
    if (serverId === row.serverId) return this.deps.databases.view(row);
    throw new AppError(
      'CONFLICT',
      `serverId: ${row.name} stays on its node: its data is a volume local to that node, which Swarm does not carry to another. Back it up, create a database on the other node and restore the backup into it`,
    );
  }
}
