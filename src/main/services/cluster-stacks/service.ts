import { randomBytes } from 'node:crypto';
import type Docker from 'dockerode';
import type { StackDeploy, StackInput, StackJob, StackService, StackView } from '../../../shared/contract/cluster-stacks.ts';
import { StackInput as InputSchema } from '../../../shared/contract/cluster-stacks.ts';
import type { Manager } from '../cluster/view.ts';
import { bounded, listNodes } from '../cluster/swarm.ts';
import { within } from '../core/async.ts';
import { AppError, errorMessage } from '../core/errors.ts';
import { dockerError } from '../docker/errors.ts';
import { ensureImage } from '../docker/images.ts';
import { LABELS, MANAGED } from '../docker/labels.ts';
import { runOnce } from '../docker/run-once.ts';
import { tarball } from '../docker/tar.ts';
import { containerJobSpec, containerReader, startContainerJob } from '../jobs/container.ts';
import { JobState } from '../jobs/state.ts';
import { JobTracker, type TrackerOptions } from '../jobs/tracker.ts';
import type { SshConnection } from '../ssh/connection.ts';
import { checkCompose, stackOverride } from './compose.ts';
import { createRecord, createResult, listRecords, pruneRecords, type RecordMeta, removeRecord, resultName, type StackRecord } from './records.ts';
import { STACK_JOB_SCRIPT, STACK_RM_SCRIPT, STACK_VARS, type StackVars } from './script.ts';
import { type RawTask, taskViews } from '../cluster/tasks.ts';

export interface StacksDeps {
  /** The first manager of the cluster that answers (ClusterService.manager). */
  manager: (clusterId: string) => Promise<Manager>;
  serverOfNode: (clusterId: string, nodeId: string) => string | null;
  /** Per server: the builder image (docker CLI; docker:27-cli through its image overrides) and OpenPanel's data dir. */
  builderImage: (serverId: string) => string;
  dataDir: (serverId: string) => string;
  dockerSocket: (serverId: string) => Promise<string>;
  /** For following a job on the server that ran it (which may no longer be the first manager). */
  conn: (serverId: string) => Promise<SshConnection>;
  docker: (serverId: string) => Promise<Docker>;
  /** A registry's credentials (docker's auth config: username, password, serveraddress). */
  registryAuth?: (registryId: string) => Promise<{ username: string; password: string; serveraddress: string }>;
  tracker?: TrackerOptions;
  /** How long a deploy waits for the services to converge, and a removal for them to go (seconds). */
  waitS?: number;
}

/** Where the builder sees the server's data dir (BUILDER_DATA of the deploy jobs). */
const DATA = '/openpanel';
const STACK_NS = 'com.docker.stack.namespace';
const jobName = (id: string) => `openpanel-stack-job-${id}`;
const newId = () => `d${randomBytes(6).toString('hex')}`;
const dockerConfig = (auth: { username: string; password: string; serveraddress: string }) =>
  JSON.stringify({ auths: { [auth.serveraddress]: { auth: Buffer.from(`${auth.username}:${auth.password}`).toString('base64') } } });

interface RawService {
  ID: string;
  Spec: { Name: string; Labels?: Record<string, string>; TaskTemplate?: { ContainerSpec?: { Image?: string } }; Mode?: { Replicated?: { Replicas?: number }; Global?: object } };
}

/** Compose stacks on a cluster: `docker stack deploy` on a manager as a remote job, records as Swarm configs. */
export class ClusterStacksService {
  private readonly deps: StacksDeps;
  private readonly trackers = new Map<string, JobTracker<JobState>>();
  /** Stacks (cluster/name) whose deploy is being started by this app: a second start waits its turn by failing. */
  private readonly starting = new Set<string>();
  private closed = false;

  constructor(deps: StacksDeps) {
    this.deps = deps;
  }

  async deploy(input: StackInput): Promise<{ deployId: string; view: StackView }> {
    const { clusterId, name, compose, registryId } = InputSchema.parse(input);
    return this.start(clusterId, name, compose, null, registryId ?? null);
  }

  async rollback(clusterId: string, name: string, deployId: string): Promise<{ deployId: string; view: StackView }> {
    const m = await this.deps.manager(clusterId);
    const records = await listRecords(m, name);
    const target = records.find((r) => r.id === deployId);
    if (!target) throw new AppError('NOT_FOUND', `deployId: ${deployId} is not a kept deploy of stack ${name} (kept: ${records.map((r) => r.id).join(', ') || 'none'})`);
    return this.start(clusterId, name, target.compose, target.id, target.registryId);
  }

  private async start(clusterId: string, name: string, compose: string, rollbackOf: string | null, registryId: string | null): Promise<{ deployId: string; view: StackView }> {
    // Checked before anything reaches a node; a rollback's file is checked again (it was written by an older version).
    const checked = checkCompose(name, compose);
    const key = `${clusterId}/${name}`;
    if (this.starting.has(key)) throw new AppError('CONFLICT', `name: a deploy of stack ${name} is being started; wait for it`);
    this.starting.add(key);
    try {
      return await this.launch(clusterId, name, compose, { rollbackOf, registryId }, checked);
    } finally {
      this.starting.delete(key);
    }
  }

  private async launch(clusterId: string, name: string, compose: string, opts: { rollbackOf: string | null; registryId: string | null }, checked: ReturnType<typeof checkCompose>): Promise<{ deployId: string; view: StackView }> {
    const { rollbackOf, registryId } = opts;
    const auth = registryId ? await this.registryAuth(registryId) : null;
    const m = await this.deps.manager(clusterId);
    const records = await listRecords(m, name);
    const busy = records.find((r) => this.status(r).result === 'running');
    if (busy) throw new AppError('CONFLICT', `name: deploy ${busy.id} of stack ${name} is still running; wait for it`);
    const meta: RecordMeta = { id: newId(), at: Date.now(), kind: rollbackOf ? 'rollback' : 'deploy', rollbackOf, serverId: m.serverId, registryId };
    await createRecord(m, name, meta, compose);
    for (const id of await pruneRecords(m, name)) this.forget(id);
    const dataDir = this.deps.dataDir(m.serverId);
    const vars: StackVars = {
      OP_JOB_ID: meta.id,
      OP_JOB_DIR: `${DATA}/jobs/${meta.id}`,
      OP_KIND: meta.kind,
      OP_STACK: name,
      OP_IMAGE: `stack:${name}@${meta.id}`,
      OP_DATA_DIR: dataDir,
      OP_WAIT: String(this.deps.waitS ?? 300),
      OP_RESULT_CONFIG: resultName(name, meta.id),
    };
    for (const k of STACK_VARS) if (typeof vars[k] !== 'string') throw new Error(`job variable ${k} is not set`);
    const upload = tarball([
      { name: 'stack', mode: 0o700 },
      { name: 'stack/compose.yml', mode: 0o600, data: Buffer.from(compose) },
      { name: 'stack/openpanel.yml', mode: 0o600, data: Buffer.from(stackOverride(name, meta.id, checked)) },
      // The CLI's own config: --with-registry-auth sends these credentials with the services, and the nodes pull with them.
      ...(auth ? [{ name: 'stack/docker', mode: 0o700 }, { name: 'stack/docker/config.json', mode: 0o600, data: Buffer.from(dockerConfig(auth)) }] : []),
    ]);
    try {
      const image = this.deps.builderImage(m.serverId);
      await ensureImage(m.api, image, { mapping: `the image mapping of ${m.name}` });
      const socket = await this.deps.dockerSocket(m.serverId);
      const spec = containerJobSpec({
        name: jobName(meta.id),
        image,
        script: STACK_JOB_SCRIPT,
        env: vars,
        labels: { ...MANAGED, [LABELS.job]: meta.id, [LABELS.stack]: name },
        // The registries' CA roots, so the CLI can resolve a tag to its digest over TLS.
        binds: [`${socket}:/var/run/docker.sock`, `${dataDir}:${DATA}`, '/etc/docker/certs.d:/etc/docker/certs.d:ro'],
      });
      await bounded(() => startContainerJob(m.api, spec, { upload }), `starting the deploy job of stack ${name} on ${m.name}`, 120_000);
    } catch (e) {
      await createResult(m, name, meta.id, 'failed', `starting the job: ${errorMessage(e)}`);
      throw e instanceof AppError ? e : dockerError(e, `the deploy job of stack ${name}`);
    }
    this.track(meta);
    return { deployId: meta.id, view: await this.view(m, clusterId, name) };
  }

  async get(clusterId: string, name: string): Promise<StackView> {
    return this.view(await this.deps.manager(clusterId), clusterId, name);
  }

  async list(clusterId: string): Promise<StackView[]> {
    const m = await this.deps.manager(clusterId);
    const list = m.api.listConfigs.bind(m.api) as (opts: unknown) => Promise<{ Spec?: { Labels?: Record<string, string> } }[]>;
    const configs = await bounded((signal) => list({ filters: { label: [LABELS.stackDeploy] }, abortSignal: signal }), `listing the stacks on ${m.name}`);
    const names = [...new Set(configs.map((c) => c.Spec?.Labels?.[LABELS.stack]).filter((n): n is string => !!n))].sort();
    return Promise.all(names.map((n) => this.view(m, clusterId, n)));
  }

  async job(clusterId: string, name: string, deployId: string): Promise<StackJob> {
    const m = await this.deps.manager(clusterId);
    const record = (await listRecords(m, name)).find((r) => r.id === deployId);
    if (!record) throw new AppError('NOT_FOUND', `deployId: ${deployId} is not a kept deploy of stack ${name}`);
    const t = this.trackers.get(deployId) ?? this.track(record);
    // A job that ended is read once from its server (a new app has no tracker yet): its whole log, bounded in time.
    if (t && record.result && t.outcome === null) await within(t.finished, 10_000);
    const s = this.status(record);
    return { deployId, status: s.result, step: t?.state?.step ?? (s.result === 'running' ? 'starting' : 'done'), progress: t?.state?.progress ?? 0, error: s.error, log: t?.log ?? '' };
  }

  /** `docker stack rm` on a manager, waiting (bounded) until the services and networks are gone; then the records go. */
  async remove(clusterId: string, name: string): Promise<{ removed: boolean }> {
    const m = await this.deps.manager(clusterId);
    const records = await listRecords(m, name);
    const busy = records.find((r) => this.status(r).result === 'running');
    if (busy) throw new AppError('CONFLICT', `name: deploy ${busy.id} of stack ${name} is still running; wait for it`);
    const services = await this.services(m, name);
    if (services.length) {
      const image = this.deps.builderImage(m.serverId);
      await ensureImage(m.api, image, { mapping: `the image mapping of ${m.name}` });
      const waitS = this.deps.waitS ?? 300;
      await runOnce(
        m.api,
        {
          name: `openpanel-stack-rm-${randomBytes(4).toString('hex')}`,
          Image: image,
          Entrypoint: ['sh', '-c', STACK_RM_SCRIPT],
          Cmd: [],
          Env: [`OP_STACK=${name}`, `OP_WAIT=${waitS}`],
          Labels: { ...MANAGED, [LABELS.stack]: name },
          HostConfig: { Binds: [`${await this.deps.dockerSocket(m.serverId)}:/var/run/docker.sock`] },
        },
        { what: `docker stack rm ${name} on ${m.name}`, timeoutMs: (waitS + 60) * 1000, tailLines: 8 },
      );
    }
    for (const r of records) {
      await removeRecord(m, r);
      this.forget(r.id);
    }
    return { removed: services.length > 0 || records.length > 0 };
  }

  private async registryAuth(registryId: string): Promise<{ username: string; password: string; serveraddress: string }> {
    if (!this.deps.registryAuth) throw new AppError('NOT_FOUND', `registryId: no registries in this app`);
    try {
      return await this.deps.registryAuth(registryId);
    } catch (e) {
      if (e instanceof AppError && e.code === 'NOT_FOUND') throw new AppError('NOT_FOUND', `registryId: ${registryId} is not a registry of this app`);
      throw e;
    }
  }

  close(): void {
    this.closed = true;
    for (const t of this.trackers.values()) t.stop();
    this.trackers.clear();
  }

  /** A record's result: the one the job kept on the cluster, else what its job (followed again if need be) says. */
  private status(r: StackRecord): { result: StackDeploy['result']; error: string | null } {
    if (r.result) return { result: r.result.status, error: r.result.status === 'failed' ? r.result.message || null : null };
    const t = this.trackers.get(r.id) ?? this.track(r);
    if (!t) return { result: 'unknown', error: null };
    switch (t.outcome) {
      case null:
        return { result: 'running', error: null };
      case 'succeeded':
        return { result: 'succeeded', error: null };
      case 'failed':
        return { result: 'failed', error: t.state?.error || null };
      case 'lost':
        return { result: 'lost', error: t.lostReason ?? 'the job stopped on the server without a result' };
      default:
        return { result: 'unknown', error: t.lastError };
    }
  }

  private track(meta: RecordMeta): JobTracker<JobState> | null {
    if (this.closed) return null;
    const existing = this.trackers.get(meta.id);
    if (existing) return existing;
    const reader = containerReader({
      conn: () => this.deps.conn(meta.serverId),
      docker: async (call) => bounded(async () => call(await this.deps.docker(meta.serverId)), `checking the deploy job ${meta.id}`, 10_000),
      dir: `${this.deps.dataDir(meta.serverId)}/jobs/${meta.id}`,
      container: jobName(meta.id),
      schema: JobState,
    });
    const t = new JobTracker(reader, this.deps.tracker);
    this.trackers.set(meta.id, t);
    t.start();
    return t;
  }

  private forget(id: string): void {
    this.trackers.get(id)?.stop();
    this.trackers.delete(id);
  }

  private async services(m: Manager, name: string): Promise<RawService[]> {
    return (await bounded(() => m.api.listServices({ filters: { label: [`${STACK_NS}=${name}`] } }), `listing the services of stack ${name} on ${m.name}`)) as unknown as RawService[];
  }

  private async view(m: Manager, clusterId: string, name: string): Promise<StackView> {
    const [services, records] = await Promise.all([this.services(m, name), listRecords(m, name)]);
    if (!services.length && !records.length) throw new AppError('NOT_FOUND', `name: ${name} is not a stack on this cluster`);
    const [tasks, nodes] = services.length
      ? await Promise.all([
          bounded(() => m.api.listTasks({ filters: { service: services.map((s) => s.ID) } }), `listing the tasks of stack ${name}`) as Promise<RawTask[]>,
          listNodes(m.api, m.name),
        ])
      : [[], []];
    const hostOf = new Map(nodes.map((n) => [n.ID, n.Description?.Hostname ?? n.ID]));
    const shown: StackService[] = services
      .map((s) => {
        const own = taskViews(tasks.filter((t) => t.ServiceID === s.ID), { hostOf: (id) => hostOf.get(id) ?? id, serverOf: (id) => this.deps.serverOfNode(clusterId, id) });
        const running = own.filter((t) => t.state === 'running' && t.desired === 'running').length;
        const global = !!s.Spec.Mode?.Global;
        return {
          name: s.Spec.Name,
          service: s.Spec.Labels?.['com.docker.stack.namespace'] === name ? s.Spec.Name.slice(name.length + 1) : s.Spec.Name,
          image: s.Spec.TaskTemplate?.ContainerSpec?.Image ?? '',
          mode: global ? ('global' as const) : ('replicated' as const),
          desired: global ? own.filter((t) => t.desired === 'running').length : (s.Spec.Mode?.Replicated?.Replicas ?? 0),
          running,
          tasks: own,
        };
      })
      .sort((a, b) => a.name.localeCompare(b.name));
    const deploys: StackDeploy[] = records.map((r) => {
      const s = this.status(r);
      return { id: r.id, at: r.at, kind: r.kind, rollbackOf: r.rollbackOf, serverId: r.serverId, registryId: r.registryId, result: s.result, error: s.error, compose: r.compose };
    });
    return { clusterId, name, services: shown, deploys };
  }
}
