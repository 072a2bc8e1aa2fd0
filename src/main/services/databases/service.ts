import { randomBytes } from 'node:crypto';
import { eq } from 'drizzle-orm';
import type { CreateClusterDatabaseInput, CreateDatabaseInput, DatabaseConnection, ImageMapping, ManagedDatabase, ResourceLimits } from '../../../shared/contract/databases.ts';
import type { z } from 'zod';
import { AppError, errorMessage } from '../core/errors.ts';
import type { Db } from '../db/index.ts';
import { dataDatabases, dataServerImages } from '../db/schema.ts';
import type { DockerService } from '../docker/service.ts';
import type { DockerClient } from '../docker/client.ts';
import { isDockerNotFound, isDockerNotModified } from '../docker/errors.ts';
import { execChecked, execInContainer } from '../docker/exec.ts';
import { ensureImage } from '../docker/images.ts';
import { LABELS, ROLES } from '../docker/labels.ts';
import type { SecretsService } from '../secrets/service.ts';
import type { ForwardsService } from '../ssh/forwards.ts';
import { resolveImage } from '../proxy/images.ts';
import { engineOf, type EngineSpec } from './engines.ts';
import { ClusterDatabases } from './cluster-service.ts';
import { findTaskContainer, isClusterRow, type DatabaseSwarm } from './cluster.ts';

export { DATA_NETWORK } from './network.ts';
import { DATA_NETWORK, ensureDataNetwork } from './network.ts';
import { newRow, rowsFreeFor } from './new-row.ts';
const FIRST_HOST_PORT = 15432;
/** Where a database or backup image is mapped to a mirror or a local one (named when a pull fails). */
export const DATA_IMAGE_MAPPING = { mapping: "the server's image mapping" };
type Row = typeof dataDatabases.$inferSelect;

export interface DatabasesDeps {
  db: Db;
  docker: DockerService;
  secrets: SecretsService;
  forwards: ForwardsService;
  /** Databases on a cluster (pinned Swarm services); without it only single-server databases exist. */
  swarm?: DatabaseSwarm;
}

function limitsOf(row: Row): ResourceLimits {
  const l = row.limits;
  return { memoryMb: l.memoryMb ?? null, cpus: l.cpus ?? null };
}

/**
 * Managed databases (PostgreSQL, MariaDB, MySQL, Redis, MongoDB; see engines.ts): containers of the official images (through this server's image mapping) with a named volume,
 * generated credentials in the keychain, attached to the `openpanel-data` network apps can join, and a port
 * published on the server's loopback only (for the backup scheduler and SSH port forwards).
 */
export class DatabasesService {
  private readonly deps: DatabasesDeps;
  /** Per server: the create in progress (see create). */
  private readonly creating = new Map<string, Promise<void>>();
  private readonly onCluster: ClusterDatabases | null;

  constructor(deps: DatabasesDeps) {
    this.deps = deps;
    this.onCluster = deps.swarm ? new ClusterDatabases({ ...deps, swarm: deps.swarm, databases: this }) : null;
  }

  private cluster(): ClusterDatabases {
    if (!this.onCluster) throw new AppError('CONFLICT', 'clusterId: databases on a cluster are not available in this app');
    return this.onCluster;
  }

  /**
   * The container to exec in: the fixed name of a single-server database; for one on a cluster, its running task
   * container found by labels on its node (Swarm names tasks `<service>.1.<task id>`).
   */
  async container(row: Row, client?: DockerClient): Promise<string> {
    if (!isClusterRow(row)) return row.containerName;
    const found = await findTaskContainer(client ?? (await this.deps.docker.client(row.serverId)), row);
    if (!found?.running) throw new AppError('CONFLICT', `database ${row.name} has no running task on its node`);
    return found.name;
  }

  images(serverId: string): ImageMapping {
    const row = this.deps.db.select().from(dataServerImages).where(eq(dataServerImages.serverId, serverId)).get();
    return row?.images ?? {};
  }

  setImages(serverId: string, images: ImageMapping): ImageMapping {
    this.deps.db.insert(dataServerImages).values({ serverId, images }).onConflictDoUpdate({ target: dataServerImages.serverId, set: { images } }).run();
    return images;
  }

  resolve(serverId: string, ref: string): string {
    return resolveImage(ref, { prefix: null, images: this.images(serverId) });
  }

  row(id: string): Row {
    const row = this.deps.db.select().from(dataDatabases).where(eq(dataDatabases.id, id)).get();
    if (!row) throw new AppError('NOT_FOUND', `id: no database ${id}`);
    return row;
  }

  spec(row: Row): EngineSpec {
    return engineOf(row.engine);
  }

  async password(row: Row): Promise<string> {
    return this.deps.secrets.require(row.passwordRef, `database ${row.name}`);
  }

  /** The view of a row (also for a database on a cluster, which adds where Swarm has its task). */
  async view(row: Row, client?: DockerClient): Promise<ManagedDatabase> {
    let state: string;
    let containerId: string | null = null;
    let version: string | null = null;
    try {
      const c = client ?? (await this.deps.docker.client(row.serverId));
      const info = await c.api.getContainer(await this.container(row, c).catch(() => row.containerName)).inspect();
      containerId = info.Id;
      state = info.State.Status;
      version = info.Config.Labels?.[LABELS.version] ?? null;
      if (info.State.Running) version = await this.version(c, row).catch(() => version);
    } catch (e) {
      state = isDockerNotFound(e) ? 'missing' : 'unreachable';
    }
    return {
      id: row.id,
      serverId: row.serverId,
      engine: this.spec(row).engine,
      name: row.name,
      image: row.image,
      resolvedImage: this.resolve(row.serverId, row.image),
      containerName: row.containerName,
      containerId,
      volume: row.volume,
      network: row.network,
      hostPort: row.hostPort,
      username: row.username,
      database: row.database,
      limits: limitsOf(row),
      state,
      version,
      createdAt: row.createdAt,
      ...(isClusterRow(row) && this.onCluster ? await this.onCluster.placed(row, state) : {}),
    };
  }

  private async version(client: DockerClient, row: Row): Promise<string> {
    const v = this.spec(row).version(row.database, row.username);
    const env = v.env(v.env.length > 0 ? await this.password(row) : '');
    return v.parse(await execChecked(client, await this.container(row, client), v.cmd, 'reading the version', { env }));
  }

  async list(serverId?: string): Promise<ManagedDatabase[]> {
    const rows = serverId ? this.deps.db.select().from(dataDatabases).where(eq(dataDatabases.serverId, serverId)).all() : this.deps.db.select().from(dataDatabases).all();
    return Promise.all(rows.map((r) => this.view(r)));
  }

  async get(id: string): Promise<ManagedDatabase> {
    return this.view(this.row(id));
  }

  /**
   * Creates a database. Two creates on one server run their first part (name and port chosen, network made, container
   * created and recorded) one after the other: otherwise both would pick the same loopback port, and both would
   * create the network (Docker allows two networks of one name, which then breaks every container using it).
   * The readiness wait runs in parallel.
   */
  async create(input: z.output<typeof CreateDatabaseInput>): Promise<ManagedDatabase> {
    const { client, row } = await this.serialised(input.serverId, () => this.createContainerAndRow(input));
    await this.waitReady(client, row);
    return this.view(row, client);
  }

  private serialised<T>(serverId: string, work: () => Promise<T>): Promise<T> {
    const prev = this.creating.get(serverId) ?? Promise.resolve();
    const mine = prev.then(work);
    const settled = mine.then(
      () => {},
      () => {},
    );
    this.creating.set(serverId, settled);
    void settled.then(() => {
      if (this.creating.get(serverId) === settled) this.creating.delete(serverId);
    });
    return mine;
  }

  private async createContainerAndRow(input: z.output<typeof CreateDatabaseInput>): Promise<{ client: DockerClient; row: Row }> {
    const existing = rowsFreeFor(this.deps.db, input.serverId, input.name);
    const client = await this.deps.docker.client(input.serverId);
    const { row, password } = newRow(input, { network: DATA_NETWORK, hostPort: this.freePort(existing) });
    const resolved = this.resolve(input.serverId, row.image);
    await ensureImage(client.api, resolved, DATA_IMAGE_MAPPING);
    await ensureDataNetwork(client.api);
    const secret = await this.deps.secrets.put(`database ${input.name}`, 'database-password', password);
    row.passwordRef = secret.ref;
    try {
      await this.createContainer(client, row, resolved, password);
      this.deps.db.insert(dataDatabases).values(row).run();
    } catch (e) {
      await this.deps.secrets.remove(secret.ref);
      await client.api.getContainer(row.containerName).remove({ force: true }).catch(() => {});
      throw e;
    }
    return { client, row };
  }

  /** The first loopback port (15432+) no database of the server uses. */
  freePort(existing: Row[]): number {
    const used = new Set(existing.map((r) => r.hostPort));
    let hostPort = FIRST_HOST_PORT;
    while (used.has(hostPort) && hostPort < FIRST_HOST_PORT + 1000) hostPort++;
    return hostPort;
  }

  /** A database on a cluster, pinned to one node (cluster-service.ts); its port and name are chosen in turn with the server's other creates. */
  async createOnCluster(input: z.output<typeof CreateClusterDatabaseInput>): Promise<ManagedDatabase> {
    const onCluster = this.cluster();
    const { client, row } = await this.serialised(input.serverId, () => onCluster.create(input));
    await this.waitReady(client, row);
    return this.view(row, client);
  }

  /** Refused: the volume of a pinned database lives on its node. */
  moveToNode(id: string, serverId: string): Promise<ManagedDatabase> {
    return this.cluster().moveToNode(this.row(id), serverId);
  }

  private async createContainer(client: DockerClient, row: Row, image: string, password: string, start = true): Promise<void> {
    const limits = limitsOf(row);
    const spec = this.spec(row);
    const port = `${spec.port}/tcp`;
    const cmd = spec.cmd(password);
    const c = await client.api.createContainer({
      name: row.containerName,
      Image: image,
      Env: spec.env(row.database, row.username, password),
      ...(cmd ? { Cmd: cmd } : {}),
      Labels: { [LABELS.role]: ROLES.database, [LABELS.databaseId]: row.id, [LABELS.databaseEngine]: row.engine },
      ExposedPorts: { [port]: {} },
      HostConfig: {
        Mounts: [{ Type: 'volume', Source: row.volume, Target: spec.dataDir }],
        PortBindings: { [port]: [{ HostIp: '127.0.0.1', HostPort: String(row.hostPort) }] },
        RestartPolicy: { Name: 'unless-stopped' },
        NetworkMode: row.network,
        ...(limits.memoryMb ? { Memory: limits.memoryMb * 1024 * 1024 } : {}),
        ...(limits.cpus ? { NanoCpus: Math.round(limits.cpus * 1e9) } : {}),
      },
      NetworkingConfig: { EndpointsConfig: { [row.network]: { Aliases: [row.name] } } },
    });
    if (start) await c.start();
  }

  /** The engine's readiness probe in the container (a real query over TCP where the init runs a local-only server), bounded (default 90 s). */
  async waitReady(client: DockerClient, row: Row, timeoutMs = 90_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const probe = this.spec(row).probe(row.database, row.username);
    const env = probe.env(await this.password(row));
    let last = '';
    while (Date.now() < deadline) {
      const r = await this.container(row, client)
        .then((name) => execInContainer(client, name, probe.cmd, { env }))
        .catch((e: unknown) => ({ code: -1, stdout: '', stderr: errorMessage(e) }));
      if (r.code === 0 && probe.ok.test(r.stdout)) return;
      last = (r.stderr || r.stdout).trim().slice(-300);
      await new Promise((res) => setTimeout(res, 500));
    }
    throw new AppError('TIMEOUT', `database ${row.name} did not become ready within ${timeoutMs / 1000} s: ${last}`);
  }

  async action(id: string, what: 'start' | 'stop' | 'restart'): Promise<ManagedDatabase> {
    const row = this.row(id);
    if (isClusterRow(row)) return this.cluster().action(row, what);
    const client = await this.deps.docker.client(row.serverId);
    const c = client.api.getContainer(row.containerName);
    if (what === 'start') await c.start().catch((e: unknown) => ignoreNotModified(e));
    if (what === 'stop') await c.stop({ t: 10 }).catch((e: unknown) => ignoreNotModified(e));
    if (what === 'restart') await c.restart({ t: 10 });
    if (what !== 'stop') await this.waitReady(client, row);
    return this.view(row, client);
  }

  /**
   * Memory/CPU limits of the running container. Setting or changing a limit is applied live (`docker update`).
   * Docker cannot lift a limit from an existing container (an update with 0 leaves it as it is), so clearing one
   * recreates the container from the same image, volume, network and password: a restart of the database.
   */
  async setLimits(id: string, limits: ResourceLimits): Promise<ManagedDatabase> {
    const row = this.row(id);
    if (isClusterRow(row)) return this.cluster().setLimits(row, limits);
    const client = await this.deps.docker.client(row.serverId);
    const info = await client.api.getContainer(row.containerName).inspect();
    const next: Row = { ...row, limits };
    const lifted = (!limits.memoryMb && (info.HostConfig.Memory ?? 0) > 0) || (!limits.cpus && (info.HostConfig.NanoCpus ?? 0) > 0);
    if (lifted) {
      await this.recreate(client, next, info.State.Running);
    } else {
      await client.api
        .getContainer(row.containerName)
        .update({
          ...(limits.memoryMb ? { Memory: limits.memoryMb * 1024 * 1024, MemorySwap: limits.memoryMb * 2 * 1024 * 1024 } : {}),
          ...(limits.cpus ? { NanoCpus: Math.round(limits.cpus * 1e9) } : {}),
        })
        .catch((e: unknown) => {
          const m = errorMessage(e);
          // Docker's own limits (e.g. no more CPUs than the server has; a minimum memory) name the field here.
          if (/cpu/i.test(m)) throw new AppError('INPUT_INVALID', `limits.cpus: ${m}`);
          if (/memory/i.test(m)) throw new AppError('INPUT_INVALID', `limits.memoryMb: ${m}`);
          throw e;
        });
    }
    this.deps.db.update(dataDatabases).set({ limits: next.limits }).where(eq(dataDatabases.id, id)).run();
    return this.view(next, client);
  }

  /**
   * Replaces the container with a new one of the same image, volume, network and password (new limits). The old one
   * is stopped and set aside first, and started again if the new one cannot be created or started.
   */
  private async recreate(client: DockerClient, row: Row, running: boolean): Promise<void> {
    const old = client.api.getContainer(row.containerName);
    const aside = `${row.containerName}-replaced-${randomBytes(3).toString('hex')}`;
    await old.stop({ t: 10 }).catch((e: unknown) => ignoreNotModified(e));
    await old.rename({ name: aside });
    try {
      await this.createContainer(client, row, this.resolve(row.serverId, row.image), await this.password(row), running);
    } catch (e) {
      await client.api.getContainer(row.containerName).remove({ force: true }).catch(() => {});
      const back = client.api.getContainer(aside);
      await back.rename({ name: row.containerName });
      if (running) await back.start().catch(() => {});
      throw e;
    }
    await client.api.getContainer(aside).remove({ force: true });
    if (running) await this.waitReady(client, row);
  }

  /** Removes the container, the volume when asked (an error if it cannot be removed), the password in the keychain and the row. */
  async remove(id: string, removeVolume: boolean): Promise<boolean> {
    const row = this.row(id);
    const client = await this.deps.docker.client(row.serverId);
    if (isClusterRow(row)) await this.cluster().removeRunning(client, row);
    await client.api.getContainer(row.containerName).remove({ force: true }).catch((e: unknown) => {
      if (!isDockerNotFound(e)) throw e;
    });
    if (removeVolume) {
      await client.api
        .getVolume(row.volume)
        .remove()
        .catch((e: unknown) => {
          if (isDockerNotFound(e)) return;
          throw new AppError('CONFLICT', `removeVolume: the volume ${row.volume} could not be removed (${errorMessage(e)}); the container is gone, the database is still listed`);
        });
    }
    await this.deps.secrets.remove(row.passwordRef);
    this.deps.db.delete(dataDatabases).where(eq(dataDatabases.id, id)).run();
    return true;
  }

  async connection(id: string): Promise<DatabaseConnection> {
    const row = this.row(id);
    const password = await this.password(row);
    const spec = this.spec(row);
    return {
      internalUrl: spec.url({ username: row.username, password, host: row.name, port: spec.port, database: row.database }),
      host: row.name,
      port: spec.port,
      username: row.username,
      password,
      database: row.database,
      network: row.network,
    };
  }

  async openLocal(id: string): Promise<{ forwardId: string; url: string; localPort: number }> {
    const row = this.row(id);
    const password = await this.password(row);
    const fwd = await this.deps.forwards.start(row.serverId, '127.0.0.1', row.hostPort);
    return {
      forwardId: fwd.id,
      localPort: fwd.localPort,
      url: this.spec(row).url({ username: row.username, password, host: '127.0.0.1', port: fwd.localPort, database: row.database }),
    };
  }
}

function ignoreNotModified(e: unknown): void {
  if (isDockerNotModified(e)) return;
  throw e;
}
