import { randomBytes } from 'node:crypto';
import type Docker from 'dockerode';
import type { ClusterAppInput, ClusterAppSpec, ClusterAppView, ClusterBuild, ClusterBuildDetail, ClusterDeploy, ClusterGitDeployInput, ClusterTask } from '../../../shared/contract/cluster-apps.ts';
import { ClusterAppInput as InputSchema } from '../../../shared/contract/cluster-apps.ts';
import type { Manager } from '../cluster/view.ts';
import { bounded, listNodes } from '../cluster/swarm.ts';
import { withTimeout } from '../core/async.ts';
import { AppError } from '../core/errors.ts';
import { dockerError, isDockerNotFound } from '../docker/errors.ts';
import { LABELS, MANAGED } from '../docker/labels.ts';
import { ensureNetwork } from '../docker/networks.ts';
import { listBuilds, removeBuild } from './builds.ts';
import { EDGE_IMAGE, edgeRoutes, readDomains, syncEdge } from './edge.ts';
import { GitDeploys, type GitDeployDeps } from './git-build.ts';
import { type RawTask, taskViews } from '../cluster/tasks.ts';
import { APPS_NETWORK, KEPT_DEPLOYS, readDeploys, serviceName, serviceSpec } from './spec.ts';

export interface SwarmAppsDeps {
  /** The first manager of the cluster that answers (ClusterService.manager). */
  manager: (clusterId: string) => Promise<Manager>;
  /** Node id → the server it is, for the cluster's members. */
  serverOfNode: (clusterId: string, nodeId: string) => string | null;
  /** The edge proxy's image (caddy:2 through the image overrides of the manager's server). */
  edgeImage?: (managerServerId: string) => string;
  /** Deploys from git (builder, registry); without it deployFromGit is refused. */
  git?: GitDeployDeps;
}

/** X-Registry-Auth for a service create/update: the nodes pull with these credentials. */
type RegistryAuth = { username: string; password: string; serveraddress: string };

const RESOLVE_MS = 10_000;
const SHOWN_TASKS = 60;

interface RawService {
  ID: string;
  Version: { Index: number };
  Spec: Record<string, unknown> & { Labels?: Record<string, string>; TaskTemplate?: { ContainerSpec?: { Image?: string }; Placement?: { Constraints?: string[] } }; Mode?: { Replicated?: { Replicas?: number } } };
  UpdateStatus?: { State?: string; Message?: string; CompletedAt?: string; StartedAt?: string };
}

function newDeployId(): string {
  return randomBytes(6).toString('hex');
}

/** Apps on a cluster as Swarm services, through a manager's Engine API (never the docker CLI). */
export class ClusterAppsService {
  private readonly deps: SwarmAppsDeps;
  private readonly git: GitDeploys | null;

  constructor(deps: SwarmAppsDeps) {
    this.deps = deps;
    this.git = deps.git
      ? new GitDeploys(deps.git, {
          manager: (id) => deps.manager(id),
          check: async (m, name) => void (await this.find(m, name)),
          apply: (m, app, record, auth) => this.apply(m, app, record, auth),
          taskServers: (m, clusterId, name) => this.taskServers(m, clusterId, name),
        })
      : null;
  }

  async deploy(input: ClusterAppInput): Promise<ClusterAppView> {
    const app: ClusterAppSpec = InputSchema.parse(input);
    const m = await this.deps.manager(app.clusterId);
    await bounded(() => ensureNetwork(m.api, APPS_NETWORK, MANAGED, { overlay: true }), `the apps network on ${m.name}`);
    const image = await resolveImage(m.api, app.image);
    await this.apply(m, { ...app, image }, { id: newDeployId(), image, at: Date.now(), kind: 'deploy' }, null);
    return this.view(m, app.clusterId, app.name);
  }

  /** Starts a deploy from git: built once on the builder, pushed, then the service by digest with the registry's auth. */
  async deployFromGit(input: ClusterGitDeployInput): Promise<ClusterBuild> {
    return this.gitDeploys().start(input);
  }

  async builds(clusterId: string, name: string): Promise<ClusterBuild[]> {
    return this.gitDeploys().list(clusterId, name);
  }

  async build(clusterId: string, name: string, deployId: string): Promise<ClusterBuildDetail> {
    return this.gitDeploys().get(clusterId, name, deployId);
  }

  /** Stops following deploys from git (their jobs go on; the next app re-attaches). */
  /** Follows again the deploys from git that were running when the app closed (in the background). */
  start(clusterIds: () => readonly string[]): void {
    const ids = clusterIds();
    if (this.git && ids.length) void this.git.resume(ids).catch(() => undefined);
  }

  close(): void {
    this.git?.close();
  }

  /** Resolves once this process's run of a deploy from git has ended (at once when none runs). */
  buildSettled(deployId: string): Promise<void> {
    return this.gitDeploys().settled(deployId);
  }

  private gitDeploys(): GitDeploys {
    if (!this.git) throw new AppError('CONFLICT', 'deploys from git are not available in this process');
    return this.git;
  }

  /**
   * Creates or updates the service to run `app` (its image as given), records the deploy and syncs the edge. With
   * `auth`, the create/update carries X-Registry-Auth: Swarm keeps it in the spec, and nodes pull with it.
   */
  private async apply(m: Manager, app: ClusterAppSpec, record: ClusterDeploy, auth: RegistryAuth | null): Promise<void> {
    await bounded(() => ensureNetwork(m.api, APPS_NETWORK, MANAGED, { overlay: true }), `the apps network on ${m.name}`);
    const existing = await this.find(m, app.name);
    const spec = serviceSpec(app, record.id);
    const authArg = auth ? [auth] : [];
    try {
      if (existing) {
        const service = m.api.getService(existing.ID) as unknown as { update(...args: unknown[]): Promise<unknown> };
        await bounded((signal) => service.update(...authArg, { _query: { version: existing.Version.Index }, _body: spec, abortSignal: signal }), `updating ${serviceName(app.name)} on ${m.name}`);
      } else {
        const create = m.api.createService.bind(m.api) as unknown as (...args: unknown[]) => Promise<unknown>;
        await bounded((signal) => create(...authArg, { ...spec, abortSignal: signal }), `creating ${serviceName(app.name)} on ${m.name}`);
      }
    } catch (e) {
      throw dockerError(e, `service ${serviceName(app.name)}`);
    }
    if (!(await listDeploys(m, app.name)).some((d) => d.id === record.id)) await recordDeploy(m, app.name, record);
    await this.syncEdge(m);
  }

  async get(clusterId: string, name: string): Promise<ClusterAppView> {
    return this.view(await this.deps.manager(clusterId), clusterId, name);
  }

  async list(clusterId: string): Promise<ClusterAppView[]> {
    const m = await this.deps.manager(clusterId);
    const services = (await bounded(() => m.api.listServices({ filters: { label: [`${LABELS.managed}=true`, LABELS.port] } }), `listing services on ${m.name}`)) as unknown as RawService[];
    return Promise.all(services.map((s) => this.view(m, clusterId, s.Spec.Labels?.[LABELS.app] ?? '')));
  }

  async scale(clusterId: string, name: string, replicas: number): Promise<ClusterAppView> {
    return this.change(clusterId, name, (spec) => {
      spec.Mode = { Replicated: { Replicas: replicas } };
    });
  }

  /** Runs a kept deploy's image again (a new record of kind rollback); nothing is built or pulled by us. */
  async rollback(clusterId: string, name: string, deployId: string): Promise<ClusterAppView> {
    const m = await this.deps.manager(clusterId);
    const deploys = await listDeploys(m, name);
    const target = deploys.find((d) => d.id === deployId);
    if (!target) throw new AppError('NOT_FOUND', `deployId: ${deployId} is not a kept deploy of ${name} (kept: ${deploys.map((d) => d.id).join(', ') || 'none'})`);
    const record: ClusterDeploy = { id: newDeployId(), image: target.image, at: Date.now(), kind: 'rollback' };
    const view = await this.change(clusterId, name, (spec) => {
      const template = spec.TaskTemplate as { ContainerSpec: { Image?: string; Labels?: Record<string, string> } };
      template.ContainerSpec.Image = target.image;
      template.ContainerSpec.Labels = { ...template.ContainerSpec.Labels, [LABELS.deploy]: record.id };
      spec.Labels = { ...spec.Labels, [LABELS.deploy]: record.id };
    });
    await recordDeploy(m, name, record);
    return { ...view, deploys: await listDeploys(m, name) };
  }

  async remove(clusterId: string, name: string): Promise<{ removed: boolean }> {
    const m = await this.deps.manager(clusterId);
    const existing = await this.find(m, name);
    if (!existing) return { removed: false };
    await bounded((signal) => m.api.getService(existing.ID).remove({ abortSignal: signal }), `removing ${serviceName(name)} on ${m.name}`).catch((e: unknown) => {
      throw dockerError(e, `service ${serviceName(name)}`);
    });
    const configs = (await listConfigs(m, name)) as RawConfig[];
    for (const c of configs) await bounded((signal) => m.api.getConfig(c.ID).remove({ abortSignal: signal }), `removing a deploy record of ${name}`).catch(() => undefined);
    for (const b of await listBuilds(m, name)) if (b.progress.status !== 'running') await removeBuild(m, b);
    await this.syncEdge(m);
    return { removed: true };
  }

  /** Routes every app with a domain through the edge proxy (created with the first domain, kept after the last). */
  private async syncEdge(m: Manager): Promise<void> {
    await ensureNetwork(m.api, APPS_NETWORK, MANAGED, { overlay: true });
    await syncEdge(m.api, this.deps.edgeImage?.(m.serverId) ?? EDGE_IMAGE, await edgeRoutes(m.api));
  }

  private async change(clusterId: string, name: string, edit: (spec: RawService['Spec']) => void): Promise<ClusterAppView> {
    const m = await this.deps.manager(clusterId);
    const existing = await this.find(m, name);
    if (!existing) throw new AppError('NOT_FOUND', `name: ${name} is not an app on this cluster`);
    const spec = structuredClone(existing.Spec);
    edit(spec);
    try {
      await bounded((signal) => m.api.getService(existing.ID).update({ _query: { version: existing.Version.Index }, _body: spec, abortSignal: signal }), `updating ${serviceName(name)} on ${m.name}`);
    } catch (e) {
      throw dockerError(e, `service ${serviceName(name)}`);
    }
    return this.view(m, clusterId, name);
  }

  private async taskServers(m: Manager, clusterId: string, name: string): Promise<string[]> {
    const raw = await this.find(m, name);
    if (!raw) return [];
    const tasks = (await bounded(() => m.api.listTasks({ filters: { service: [raw.ID], 'desired-state': ['running'] } }), `listing the tasks of ${serviceName(name)}`)) as RawTask[];
    const ids = tasks.flatMap((t) => (t.NodeID ? [this.deps.serverOfNode(clusterId, t.NodeID)] : [])).filter((id): id is string => !!id);
    return [...new Set(ids)];
  }

  private async find(m: Manager, name: string): Promise<RawService | null> {
    try {
      const raw = (await bounded((signal) => m.api.getService(serviceName(name)).inspect({ abortSignal: signal }), `reading ${serviceName(name)} on ${m.name}`)) as RawService;
      if (raw.Spec.Labels?.[LABELS.app] !== name) throw new AppError('CONFLICT', `name: a service ${serviceName(name)} exists on the cluster that OpenPanel did not create`);
      return raw;
    } catch (e) {
      if (isDockerNotFound(e)) return null;
      if (e instanceof AppError) throw e;
      throw dockerError(e, `service ${serviceName(name)}`);
    }
  }

  private async view(m: Manager, clusterId: string, name: string): Promise<ClusterAppView> {
    const raw = await this.find(m, name);
    if (!raw) throw new AppError('NOT_FOUND', `name: ${name} is not an app on this cluster`);
    const [tasks, nodes, deploys] = await Promise.all([
      bounded(() => m.api.listTasks({ filters: { service: [raw.ID] } }), `listing the tasks of ${serviceName(name)}`) as Promise<RawTask[]>,
      listNodes(m.api, m.name),
      listDeploys(m, name),
    ]);
    const hostOf = new Map(nodes.map((n) => [n.ID, n.Description?.Hostname ?? n.ID]));
    const nodeState = new Map(nodes.map((n) => [n.ID, n.Status?.State ?? null]));
    const shown: ClusterTask[] = taskViews(
      tasks,
      { hostOf: (id) => hostOf.get(id) ?? id, serverOf: (id) => this.deps.serverOfNode(clusterId, id), stateOf: (id) => nodeState.get(id) ?? null },
      SHOWN_TASKS,
    );
    const status = raw.UpdateStatus;
    return {
      clusterId,
      name,
      service: serviceName(name),
      serviceId: raw.ID,
      image: raw.Spec.TaskTemplate?.ContainerSpec?.Image ?? '',
      replicas: raw.Spec.Mode?.Replicated?.Replicas ?? 0,
      port: Number(raw.Spec.Labels?.[LABELS.port]) || 80,
      running: shown.filter((t) => t.state === 'running' && t.desired === 'running').length,
      constraints: raw.Spec.TaskTemplate?.Placement?.Constraints ?? [],
      domains: readDomains(raw.Spec.Labels),
      update: status?.State
        ? { state: status.State, rolledBack: status.State.startsWith('rollback'), message: status.Message ?? null, at: Date.parse(status.CompletedAt ?? status.StartedAt ?? '') || null }
        : null,
      tasks: shown,
      deploys,
    };
  }
}

interface RawConfig {
  ID: string;
  Spec?: { Labels?: Record<string, string> };
}

/**
 * Deploy records are Swarm configs (one per deploy, in the managers' Raft store): not in the service's spec,
 * because Swarm's own rollback restores the whole previous spec and would drop the failed deploy's record.
 */
function listConfigs(m: Manager, name: string): Promise<unknown> {
  const list = m.api.listConfigs.bind(m.api) as (opts: unknown) => Promise<unknown>;
  return bounded((signal) => list({ filters: { label: [`${LABELS.app}=${name}`, LABELS.deploys] }, abortSignal: signal }), `listing the deploys of ${name}`);
}

async function listDeploys(m: Manager, name: string): Promise<ClusterDeploy[]> {
  const configs = (await listConfigs(m, name)) as RawConfig[];
  return configs
    .map((c) => ({ config: c.ID, record: readDeploys(c.Spec?.Labels)[0] }))
    .filter((c): c is { config: string; record: ClusterDeploy } => c.record !== undefined)
    .sort((a, b) => b.record.at - a.record.at)
    .map((c) => c.record);
}

async function recordDeploy(m: Manager, name: string, record: ClusterDeploy): Promise<void> {
  const labels = { ...MANAGED, [LABELS.app]: name, [LABELS.deploy]: record.id, [LABELS.deploys]: JSON.stringify([record]) };
  await bounded((signal) => m.api.createConfig({ Name: `${serviceName(name)}-deploy-${record.id}`, Labels: labels, Data: Buffer.from(record.image).toString('base64'), abortSignal: signal } as never), `recording deploy ${record.id}`).catch((e: unknown) => {
    throw dockerError(e, `the deploy record of ${name}`);
  });
  const configs = (await listConfigs(m, name)) as RawConfig[];
  const old = configs
    .map((c) => ({ id: c.ID, at: readDeploys(c.Spec?.Labels)[0]?.at ?? 0 }))
    .sort((a, b) => b.at - a.at)
    .slice(KEPT_DEPLOYS);
  for (const c of old) await bounded((signal) => m.api.getConfig(c.id).remove({ abortSignal: signal }), `dropping an old deploy record of ${name}`).catch(() => undefined);
}

/**
 * A digest reference is used as given. A tag is resolved to `repo@sha256:…` through the registry (the engine's
 * distribution endpoint) so every node runs the same image; with no registry answering (images loaded on each
 * node), the tag is used as given and each node runs its own image of that tag.
 */
async function resolveImage(api: Docker, ref: string): Promise<string> {
  if (ref.includes('@sha256:')) return ref;
  try {
    const info = (await withTimeout((signal) => api.getImage(ref).distribution({ abortSignal: signal }), RESOLVE_MS, `resolving ${ref}`)) as { Descriptor?: { digest?: string } };
    const digest = info.Descriptor?.digest;
    if (!digest) return ref;
    const slash = ref.lastIndexOf('/');
    const colon = ref.lastIndexOf(':');
    const repo = colon > slash ? ref.slice(0, colon) : ref;
    return `${repo}@${digest}`;
  } catch {
    return ref;
  }
}
