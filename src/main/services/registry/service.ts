import { randomBytes, randomUUID } from 'node:crypto';
import { isIP } from 'node:net';
import type Docker from 'dockerode';
import { SERVICE_IMAGES } from '../../../shared/contract/images.ts';
import type { ImageOverrides } from '../../../shared/contract/proxy.ts';
import type { AddExternalInput, BuildAndPushInput, CreatePrivateInput, NodeTrust, PushedImage, Registry, RegistryStatus } from '../../../shared/contract/registry.ts';
import { CreatePrivateInput as CreatePrivateSchema } from '../../../shared/contract/registry.ts';
import { sleep } from '../core/async.ts';
import { AppError, errorMessage } from '../core/errors.ts';
import { ClusterStore } from '../cluster/store.ts';
import type { Db } from '../db/index.ts';
import type { DockerClient } from '../docker/client.ts';
import { isDockerNotFound } from '../docker/errors.ts';
import { ensureImage } from '../docker/images.ts';
import { resolveImage } from '../proxy/images.ts';
import type { SshConnection } from '../ssh/connection.ts';
import { htpasswdLine } from './bcrypt.ts';
import { makeCa, makeLeaf } from './ca.ts';
import { configFiles, containerOf, containerSpec, volumeOf } from './container.ts';
import { buildAndPush, collectGarbage, pullByDigest, type ImageDeps } from './images.ts';
import { trustOn, untrustOn, type NodeExec, type TrustTarget } from './nodes.ts';
import { RegistryStore, view, type RegistryRow } from './store.ts';
import { login, type V2Target } from './v2.ts';

export interface RegistryDeps {
  db: Db;
  secrets: { put(label: string, kind: string, value: string): Promise<{ ref: string }>; require(ref: string, what: string): Promise<string>; remove(ref: string): Promise<boolean> };
  docker: (serverId: string) => Promise<Docker>;
  client: (serverId: string) => Promise<DockerClient>;
  conn: (serverId: string) => Promise<Pick<SshConnection, 'exec' | 'forwardOut'>>;
  /** The server's name and the host the app connects to; throws NOT_FOUND for an unknown id. */
  server: (serverId: string) => { id: string; name: string; host: string };
  dockerSocket: (serverId: string) => Promise<string>;
  imageOverrides: (serverId: string) => ImageOverrides;
}

const READY_TRIES = 40;

const hostOf = (address: string, port: number) => (isIP(address) === 6 ? `[${address}]:${port}` : `${address}:${port}`);

/** Private registries the app runs (own CA, basic auth, the CA root on every node) and external v2 registries. */
export class RegistryService {
  private readonly store: RegistryStore;
  private readonly clusters: ClusterStore;
  private readonly deps: RegistryDeps;
  private readonly exec: NodeExec;

  constructor(deps: RegistryDeps) {
    this.deps = deps;
    this.store = new RegistryStore(deps.db);
    this.clusters = new ClusterStore(deps.db);
    this.exec = async (id, argv, stdin) => (await deps.conn(id)).exec(argv, { timeoutMs: 30_000, ...(stdin === undefined ? {} : { stdin }) });
  }

  list(): Registry[] {
    return this.store.list().map(view);
  }

  /** A cluster's member servers (joined or joining), or null for an unknown cluster. */
  private clusterNodes(clusterId: string): string[] | null {
    return this.clusters.list().some((c) => c.id === clusterId) ? this.clusters.members(clusterId).map((m) => m.serverId) : null;
  }

  private nodesOf(row: Pick<RegistryRow, 'serverId' | 'clusterId' | 'trust'>): TrustTarget[] {
    const ids = [...(row.serverId ? [row.serverId] : []), ...(row.clusterId ? (this.clusterNodes(row.clusterId) ?? []) : []), ...row.trust];
    return [...new Set(ids)].map((id) => ({ serverId: id, serverName: this.deps.server(id).name }));
  }

  /** The credentials and the way to reach it: a private one through an SSH channel from its own server. */
  async target(row: RegistryRow): Promise<V2Target> {
    const password = await this.deps.secrets.require(row.passwordRef, `the password of registry ${row.name}`);
    const base = { name: row.name, host: row.host, username: row.username, password, ca: row.caCert };
    if (row.kind !== 'private' || !row.serverId) return base;
    const serverId = row.serverId;
    const m = /^\[?([^\]]+?)\]?:(\d+)$/.exec(row.host);
    return { ...base, connect: async () => (await this.deps.conn(serverId)).forwardOut(m?.[1] ?? row.host, Number(m?.[2] ?? 443)) };
  }

  async createPrivate(raw: CreatePrivateInput): Promise<RegistryStatus> {
    const input = CreatePrivateSchema.parse(raw);
    if (this.store.byName(input.name)) throw new AppError('CONFLICT', `name: a registry named ${input.name} already exists`);
    const server = this.deps.server(input.serverId);
    if (input.clusterId && !this.clusterNodes(input.clusterId)) throw new AppError('NOT_FOUND', `clusterId: no cluster ${input.clusterId}`);
    input.trust.forEach((id, i) => {
      try {
        this.deps.server(id);
      } catch {
        throw new AppError('NOT_FOUND', `trust[${i}]: no server ${id}`);
      }
    });
    const address = input.address ?? server.host;
    const host = hostOf(address, input.port);
    const clash = this.store.list().find((r) => r.host === host);
    if (clash) throw new AppError('CONFLICT', `port: ${host} is already registry ${clash.name}`);
    const nodes = this.nodesOf({ serverId: server.id, clusterId: input.clusterId ?? null, trust: input.trust });

    const ca = makeCa(`OpenPanel registry CA ${input.name}`);
    const leaf = makeLeaf(ca, address);
    const password = randomBytes(24).toString('base64url');
    const api = await this.deps.docker(server.id);
    const image = resolveImage(SERVICE_IMAGES.registry, this.deps.imageOverrides(server.id));
    await ensureImage(api, image, { mapping: 'the image overrides' });
    const name = containerOf(input.name);
    const existing = await api.getContainer(name).inspect().catch((e: unknown) => (isDockerNotFound(e) ? null : Promise.reject(e)));
    if (existing) throw new AppError('CONFLICT', `name: ${server.name} already has a container ${name}; remove it or pick another name`);

    const undo: (() => Promise<unknown>)[] = [];
    try {
      const caKeyRef = (await this.deps.secrets.put(`Registry ${input.name} CA key`, 'private-key', ca.key)).ref;
      undo.push(() => this.deps.secrets.remove(caKeyRef));
      const passwordRef = (await this.deps.secrets.put(`Registry ${input.name} password`, 'password', password)).ref;
      undo.push(() => this.deps.secrets.remove(passwordRef));
      const volumeExisted = await api.getVolume(volumeOf(input.name)).inspect().then(() => true, () => false);
      const container = await api.createContainer(containerSpec({ name: input.name, image, bindIp: isIP(address) ? address : '', port: input.port }));
      undo.push(() => container.remove({ force: true }));
      if (!volumeExisted) undo.push(() => api.getVolume(volumeOf(input.name)).remove());
      await container.putArchive(configFiles({ cert: leaf.cert, key: leaf.key, htpasswd: htpasswdLine(input.username, password) }), { path: '/' });
      await container.start();
      const row: RegistryRow = { id: randomUUID(), name: input.name, kind: 'private', host, serverId: server.id, clusterId: input.clusterId ?? null, trust: input.trust, port: input.port, username: input.username, passwordRef, caKeyRef, caCert: ca.cert, createdAt: Date.now() };
      await this.waitReady(row, container);
      undo.push(() => untrustOn(this.exec, nodes, host));
      const trust = await trustOn(this.exec, nodes, host, ca.cert, 'write');
      const failed = trust.filter((t) => !t.ok);
      if (failed.length > 0) throw new AppError('REMOTE_COMMAND_FAILED', `the CA root could not be written on every node (${failed.map((f) => f.error).join('; ')}); nothing was kept`);
      this.store.insert(row);
      return await this.status(row.id);
    } catch (e) {
      for (const step of undo.reverse()) await step().catch(() => undefined);
      throw e;
    }
  }

  private async waitReady(row: RegistryRow, container: Docker.Container): Promise<void> {
    const target = await this.target(row);
    let last = '';
    for (let i = 0; i < READY_TRIES; i++) {
      const state = (await container.inspect()).State;
      if (!state.Running) {
        const logs = (await container.logs({ stdout: true, stderr: true, tail: 5 })).toString('utf8').replace(/[^\x20-\x7e\n]/g, '').trim();
        throw new AppError('REMOTE_COMMAND_FAILED', `registry ${row.name} stopped right after starting (exit ${state.ExitCode}): ${logs.slice(-400)}`);
      }
      try {
        const r = await login(target);
        if (r.ok) return;
        last = r.detail;
      } catch (e) {
        last = errorMessage(e);
      }
      await sleep(250 * Math.min(4, i + 1));
    }
    throw new AppError('TIMEOUT', `registry ${row.name} did not answer at ${row.host}: ${last}`);
  }

  async status(registryId: string): Promise<RegistryStatus> {
    const row = this.store.get(registryId);
    if (row.kind === 'external') {
      const r = await login(await this.target(row)).catch((e: unknown) => ({ ok: false, detail: errorMessage(e) }));
      return { registry: view(row), state: 'external', error: r.ok ? null : r.detail, nodes: [] };
    }
    const api = await this.deps.docker(row.serverId as string);
    const state = await api
      .getContainer(containerOf(row.name))
      .inspect()
      .then((c) => c.State.Status, (e: unknown) => (isDockerNotFound(e) ? 'missing' : `unknown (${errorMessage(e)})`));
    const r = state === 'running' ? await login(await this.target(row)).catch((e: unknown) => ({ ok: false, detail: errorMessage(e) })) : { ok: false, detail: `the container is ${state}` };
    const nodes = await trustOn(this.exec, this.nodesOf(row), row.host, row.caCert ?? '', 'check');
    return { registry: view(row), state, error: r.ok ? null : r.detail, nodes };
  }

  /** Writes the CA root where it is missing: the cluster code calls this after a node joins. */
  async syncNodes(registryId: string): Promise<NodeTrust[]> {
    const row = this.store.get(registryId);
    if (row.kind !== 'private' || !row.caCert) return [];
    return trustOn(this.exec, this.nodesOf(row), row.host, row.caCert, 'write');
  }

  /** Every private registry of a cluster (or trusted by the server): what a joining node calls. */
  async syncServer(serverId: string): Promise<NodeTrust[]> {
    const rows = this.store.list().filter((r) => r.kind === 'private' && this.nodesOf(r).some((n) => n.serverId === serverId));
    return (await Promise.all(rows.map((r) => this.syncNodes(r.id)))).flat().filter((t) => t.serverId === serverId);
  }

  async remove(registryId: string, purge: boolean): Promise<{ removed: boolean }> {
    const row = this.store.get(registryId);
    if (row.kind === 'private' && row.serverId) {
      const api = await this.deps.docker(row.serverId);
      await api.getContainer(containerOf(row.name)).remove({ force: true }).catch((e: unknown) => (isDockerNotFound(e) ? undefined : Promise.reject(e)));
      if (purge) await api.getVolume(volumeOf(row.name)).remove().catch((e: unknown) => (isDockerNotFound(e) ? undefined : Promise.reject(e)));
      await untrustOn(this.exec, this.nodesOf(row), row.host);
    }
    for (const ref of [row.passwordRef, row.caKeyRef]) if (ref) await this.deps.secrets.remove(ref);
    this.store.delete(row.id);
    return { removed: true };
  }

  /** The private registries a server runs: read before the server's removal, which deletes their rows. */
  ofServer(serverId: string): RegistryRow[] {
    return this.store.list().filter((r) => r.serverId === serverId);
  }

  /**
   * After a server was removed: its registries' keychain entries go with their rows, and other registries stop
   * listing it as a node to trust. Like the rest of a removal, nothing on any server is touched.
   */
  async forgetServer(serverId: string, rows: RegistryRow[]): Promise<void> {
    for (const row of rows) {
      this.store.delete(row.id);
      for (const ref of [row.passwordRef, row.caKeyRef]) if (ref) await this.deps.secrets.remove(ref);
    }
    for (const row of this.store.list()) if (row.trust.includes(serverId)) this.store.setTrust(row.id, row.trust.filter((id) => id !== serverId));
  }

  async addExternal(input: AddExternalInput): Promise<Registry> {
    if (this.store.byName(input.name)) throw new AppError('CONFLICT', `name: a registry named ${input.name} already exists`);
    const host = input.url.replace(/^https:\/\//, '').replace(/\/$/, '');
    const passwordRef = (await this.deps.secrets.put(`Registry ${input.name} password`, 'token', input.password)).ref;
    const row: RegistryRow = { id: randomUUID(), name: input.name, kind: 'external', host, serverId: null, clusterId: null, trust: [], port: null, username: input.username, passwordRef, caKeyRef: null, caCert: input.ca ?? null, createdAt: Date.now() };
    this.store.insert(row);
    return view(row);
  }

  async testLogin(registryId: string): Promise<{ ok: boolean; detail: string }> {
    const row = this.store.get(registryId);
    return login(await this.target(row));
  }

  private imageDeps(): ImageDeps {
    return { docker: this.deps.docker, client: this.deps.client, server: this.deps.server, dockerSocket: this.deps.dockerSocket, imageOverrides: this.deps.imageOverrides };
  }

  /** A registry's credentials and way in, by id (NOT_FOUND naming registryId): cluster apps push and deploy with it. */
  async targetOf(registryId: string): Promise<V2Target> {
    return this.target(this.store.get(registryId));
  }

  async buildAndPush(input: BuildAndPushInput): Promise<PushedImage> {
    const row = this.store.get(input.registryId);
    return buildAndPush(this.imageDeps(), await this.target(row), input);
  }

  async pull(registryId: string, serverId: string, app: string, digest: string): Promise<{ ref: string; imageId: string }> {
    const row = this.store.get(registryId);
    return pullByDigest(this.imageDeps(), await this.target(row), serverId, app, digest);
  }

  async gc(registryId: string, app: string, keep: number): Promise<{ deleted: string[]; kept: string[] }> {
    const row = this.store.get(registryId);
    if (row.kind !== 'private' || !row.serverId) throw new AppError('CONFLICT', `registryId: ${row.name} is an external registry; its own retention applies`);
    return collectGarbage(this.imageDeps(), await this.target(row), { serverId: row.serverId, container: containerOf(row.name), app, keep });
  }
}
