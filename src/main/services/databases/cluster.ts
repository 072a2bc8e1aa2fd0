import type Docker from 'dockerode';
import type { DatabaseCluster, ResourceLimits } from '../../../shared/contract/databases.ts';
import { APPS_NETWORK } from '../cluster-apps/spec.ts';
import { bounded } from '../cluster/swarm.ts';
import type { Manager } from '../cluster/view.ts';
import { sleep } from '../core/async.ts';
import { AppError, errorMessage } from '../core/errors.ts';
import type { DockerClient } from '../docker/client.ts';
import { dockerError, isDockerNotFound } from '../docker/errors.ts';
import { LABELS, MANAGED, ROLES } from '../docker/labels.ts';
import { containerName } from '../docker/names.ts';
import { ensureNetwork } from '../docker/networks.ts';
import type { dataDatabases } from '../db/schema.ts';
import type { EngineSpec } from './engines.ts';

type Row = typeof dataDatabases.$inferSelect;

/**
 * A database on a cluster is a row of the node's server like any other (so listing, backups, restores and port
 * forwards find it through `serverId`), marked by its network: the cluster apps' overlay instead of `openpanel-data`.
 */
export const CLUSTER_DB_NETWORK = APPS_NETWORK;
export const isClusterRow = (row: Pick<Row, 'network'>): boolean => row.network === CLUSTER_DB_NETWORK;
/** The plain container on the node that publishes the database on the node's loopback (Swarm cannot bind 127.0.0.1). */
export const portContainerName = (row: Pick<Row, 'containerName'>): string => `${row.containerName}-port`;

const NS = 1e9;
/** LABELS.role of the port container (a value beside docker/labels.ts ROLES; never changes, like them). */
export const PORT_ROLE = 'database-port';
const WAIT_MS = 60_000;

/** What the databases need of the cluster service: a manager that answers, and the membership of a server. */
export interface DatabaseSwarm {
  manager(clusterId: string): Promise<Manager>;
  member(serverId: string): { clusterId: string; nodeId: string | null; pending: unknown } | null;
}

const taskLabels = (row: Row) => ({ [LABELS.role]: ROLES.database, [LABELS.databaseId]: row.id, [LABELS.databaseEngine]: row.engine });

/** The Engine API's ServiceSpec of a pinned database: one replica on one node, its local volume, dnsrr on the apps overlay. */
export function databaseServiceSpec(row: Row, spec: EngineSpec, image: string, password: string, nodeId: string): Record<string, unknown> {
  const cmd = spec.cmd(password);
  return {
    Name: row.containerName,
    Labels: { ...MANAGED, ...taskLabels(row) },
    TaskTemplate: {
      ContainerSpec: {
        Image: image,
        Env: spec.env(row.database, row.username, password),
        ...(cmd ? { Args: cmd } : {}),
        Labels: { ...MANAGED, ...taskLabels(row) },
        Mounts: [{ Type: 'volume', Source: row.volume, Target: spec.dataDir }],
        StopGracePeriod: 10 * NS,
      },
      Resources: { Limits: limitsSpec(row.limits) },
      RestartPolicy: { Condition: 'any', Delay: 2 * NS },
      // The volume is local to this node: the task may run nowhere else.
      Placement: { Constraints: [`node.id==${nodeId}`] },
      Networks: [{ Target: CLUSTER_DB_NETWORK, Aliases: [row.name] }],
    },
    Mode: { Replicated: { Replicas: 1 } },
    // One server process per data directory: the old task stops before the new one starts.
    UpdateConfig: { Parallelism: 1, Order: 'stop-first', FailureAction: 'pause' },
    EndpointSpec: { Mode: 'dnsrr' },
  };
}

function limitsSpec(limits: Partial<ResourceLimits>): Record<string, number> {
  return {
    ...(limits.memoryMb ? { MemoryBytes: limits.memoryMb * 1024 * 1024 } : {}),
    ...(limits.cpus ? { NanoCPUs: Math.round(limits.cpus * NS) } : {}),
  };
}

/**
 * The loopback port of a pinned database: busybox nc in the backup tools image, on the apps overlay, relaying
 * 127.0.0.1:<hostPort> of the node to the service. The backup scheduler and SSH port forwards use it unchanged.
 */
export function portContainerSpec(row: Row, spec: EngineSpec, toolsImage: string): Docker.ContainerCreateOptions {
  const port = `${spec.port}/tcp`;
  return {
    name: portContainerName(row),
    Image: toolsImage,
    Entrypoint: ['busybox'],
    Cmd: ['nc', '-ll', '-p', String(spec.port), '-e', 'busybox', 'nc', row.containerName, String(spec.port)],
    Labels: { ...MANAGED, [LABELS.role]: PORT_ROLE, [LABELS.databaseId]: row.id },
    ExposedPorts: { [port]: {} },
    HostConfig: {
      PortBindings: { [port]: [{ HostIp: '127.0.0.1', HostPort: String(row.hostPort) }] },
      RestartPolicy: { Name: 'unless-stopped' },
      NetworkMode: CLUSTER_DB_NETWORK,
    },
  };
}

interface RawTask {
  ID: string;
  DesiredState?: string;
  UpdatedAt?: string;
  Status?: { State?: string; Err?: string; Message?: string };
}

interface RawService {
  ID: string;
  Version: { Index: number };
  Spec: Record<string, unknown> & { TaskTemplate?: Record<string, unknown> & { ForceUpdate?: number }; Mode?: unknown };
}

/** The database's task container on its node, found by labels (Swarm names it `<service>.1.<task id>`): running first, then newest. */
export async function findTaskContainer(client: DockerClient, row: Row): Promise<{ id: string; name: string; running: boolean } | null> {
  const list = await client.api.listContainers({ all: true, filters: { label: [`${LABELS.databaseId}=${row.id}`, `${LABELS.role}=${ROLES.database}`] } });
  const pick = list.find((c) => c.State === 'running') ?? [...list].sort((a, b) => b.Created - a.Created)[0];
  return pick ? { id: pick.Id, name: containerName(pick), running: pick.State === 'running' } : null;
}

/** Swarm's side of pinned databases: create, change and remove the service through a manager; where the task is. */
export class ClusterDatabaseOps {
  private readonly swarm: DatabaseSwarm;

  constructor(swarm: DatabaseSwarm) {
    this.swarm = swarm;
  }

  /** The member record of the node a database is pinned to (null when the server left the cluster). */
  membership(serverId: string): { clusterId: string; nodeId: string } | null {
    const m = this.swarm.member(serverId);
    return m?.nodeId ? { clusterId: m.clusterId, nodeId: m.nodeId } : null;
  }

  /** Checks that `serverId` is a joined member of `clusterId`; returns the manager and the node id. */
  async target(clusterId: string, serverId: string): Promise<{ manager: Manager; nodeId: string }> {
    const m = this.swarm.member(serverId);
    if (!m || m.clusterId !== clusterId) throw new AppError('INPUT_INVALID', `serverId: ${serverId} is not a member of cluster ${clusterId}; pick one of its nodes`);
    if (!m.nodeId || m.pending) throw new AppError('CONFLICT', `serverId: ${serverId} has not finished joining the cluster; finish or undo its join first`);
    return { manager: await this.swarm.manager(clusterId), nodeId: m.nodeId };
  }

  /** Refuses a name whose service or alias is taken on the cluster (another pinned database, or a cluster app `op-<name>`). */
  async checkFree(m: Manager, row: Row): Promise<void> {
    for (const name of [row.containerName, `op-${row.name}`]) {
      const taken = await bounded((signal) => m.api.getService(name).inspect({ abortSignal: signal }), `reading service ${name} on ${m.name}`).then(
        () => true,
        (e: unknown) => {
          if (isDockerNotFound(e)) return false;
          throw dockerError(e, `service ${name}`);
        },
      );
      if (taken) throw new AppError('CONFLICT', `name: the cluster already runs a service ${name}; choose another name`);
    }
  }

  async createService(m: Manager, body: Record<string, unknown>): Promise<void> {
    await bounded(() => ensureNetwork(m.api, CLUSTER_DB_NETWORK, MANAGED, { overlay: true }), `the apps network on ${m.name}`);
    await bounded((signal) => m.api.createService({ ...body, abortSignal: signal } as never), `creating service ${String(body.Name)} on ${m.name}`).catch((e: unknown) => {
      throw dockerError(e, `service ${String(body.Name)}`);
    });
  }

  async removeService(row: Row): Promise<void> {
    const member = this.membership(row.serverId);
    if (!member) throw new AppError('CONFLICT', `id: ${row.name}'s server is no longer a cluster member; remove the service ${row.containerName} on the cluster yourself`);
    const m = await this.swarm.manager(member.clusterId);
    await bounded((signal) => m.api.getService(row.containerName).remove({ abortSignal: signal }), `removing service ${row.containerName} on ${m.name}`).catch((e: unknown) => {
      if (!isDockerNotFound(e)) throw dockerError(e, `service ${row.containerName}`);
    });
  }

  /** Changes the service's spec (replicas, a forced restart, limits) at its current version. */
  async update(row: Row, change: (spec: RawService['Spec']) => RawService['Spec']): Promise<void> {
    const member = this.membership(row.serverId);
    if (!member) throw new AppError('CONFLICT', `id: ${row.name}'s server is no longer a cluster member`);
    const m = await this.swarm.manager(member.clusterId);
    const svc = m.api.getService(row.containerName);
    const info = (await bounded((signal) => svc.inspect({ abortSignal: signal }), `reading service ${row.containerName} on ${m.name}`)) as RawService;
    await bounded((signal) => svc.update({ _query: { version: info.Version.Index }, _body: change(structuredClone(info.Spec)), abortSignal: signal } as never), `updating service ${row.containerName} on ${m.name}`).catch((e: unknown) => {
      throw dockerError(e, `service ${row.containerName}`);
    });
  }

  static replicas(n: number) {
    return (spec: RawService['Spec']) => ({ ...spec, Mode: { Replicated: { Replicas: n } } });
  }

  static restart(spec: RawService['Spec']): RawService['Spec'] {
    return { ...spec, TaskTemplate: { ...spec.TaskTemplate, ForceUpdate: (spec.TaskTemplate?.ForceUpdate ?? 0) + 1 } };
  }

  static limits(limits: ResourceLimits) {
    return (spec: RawService['Spec']) => ({ ...spec, TaskTemplate: { ...spec.TaskTemplate, Resources: { Limits: limitsSpec(limits) } } });
  }

  /** The cluster side of the view: Swarm's task state and reason when the database does not run (a drained node, a failure). */
  async placement(row: Row, running: boolean): Promise<DatabaseCluster | null> {
    const member = this.membership(row.serverId);
    if (!member) return null;
    const base = { clusterId: member.clusterId, service: row.containerName, nodeId: member.nodeId, taskState: null, reason: null };
    if (running) return base;
    try {
      const m = await this.swarm.manager(member.clusterId);
      const tasks = (await bounded((signal) => m.api.listTasks({ filters: { service: [row.containerName] }, abortSignal: signal }), `reading the tasks of ${row.containerName} on ${m.name}`)) as RawTask[];
      const newest = tasks.filter((t) => t.DesiredState === 'running').sort((a, b) => (b.UpdatedAt ?? '').localeCompare(a.UpdatedAt ?? ''))[0];
      if (!newest) return { ...base, taskState: 'stopped', reason: 'no task is meant to run (stopped)' };
      return { ...base, taskState: newest.Status?.State ?? null, reason: newest.Status?.Err || newest.Status?.Message || null };
    } catch (e) {
      return { ...base, taskState: null, reason: `the cluster could not be asked: ${errorMessage(e)}` };
    }
  }

  /** Waits (bounded) until the task container on the node satisfies `done`; TIMEOUT naming what was awaited. */
  static async waitTask(client: DockerClient, row: Row, done: (c: Awaited<ReturnType<typeof findTaskContainer>>) => boolean, what: string): Promise<void> {
    const deadline = Date.now() + WAIT_MS;
    while (Date.now() < deadline) {
      const found = await findTaskContainer(client, row).then(
        (c) => ({ c }),
        () => null,
      );
      if (found && done(found.c)) return;
      await sleep(500);
    }
    throw new AppError('TIMEOUT', `database ${row.name}: ${what} within ${WAIT_MS / 1000} s`);
  }
}
