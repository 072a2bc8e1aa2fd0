import { randomBytes } from 'node:crypto';
import type Docker from 'dockerode';
import { z } from 'zod';
import { ClusterGitDeployInput as InputSchema, type ClusterAppSpec, type ClusterBuild, type ClusterBuildDetail, type ClusterDeploy, type ClusterGitDeployInput } from '../../../shared/contract/cluster-apps.ts';
import { SERVICE_IMAGES } from '../../../shared/contract/images.ts';
import type { ImageOverrides } from '../../../shared/contract/proxy.ts';
import type { Manager } from '../cluster/view.ts';
import { within, withTimeout } from '../core/async.ts';
import { AppError, errorMessage } from '../core/errors.ts';
import { SHELL_LIB } from '../deploy/shell-lib.ts';
import { ensureImage } from '../docker/images.ts';
import { LABELS, MANAGED } from '../docker/labels.ts';
import { containerJobSpec, containerReader, startContainerJob } from '../jobs/container.ts';
import { sshRead } from '../jobs/read.ts';
import { JobState } from '../jobs/state.ts';
import { JobTracker } from '../jobs/tracker.ts';
import { BUILDER_DATA } from '../proxy/driver.ts';
import { baseImageAliases, resolveImage } from '../proxy/images.ts';
import { pullByDigest, pushTag, registryAuth } from '../registry/images.ts';
import type { V2Target } from '../registry/v2.ts';
import type { SshConnection } from '../ssh/connection.ts';
import BUILD_JOB from './build-job.sh?raw';
import { createBuild, listBuilds, saveProgress, specOf, toView, type BuildPlan, type BuildProgress, type BuildRecord } from './builds.ts';
import { serviceName } from './spec.ts';

/** Deploys of cluster apps from git: built once on the builder (a remote job), pushed, then the service by digest. */

export interface GitDeployDeps {
  docker: (serverId: string) => Promise<Docker>;
  conn: (serverId: string) => Promise<SshConnection>;
  /** Throws NOT_FOUND for an unknown server. */
  server: (serverId: string) => { id: string; name: string };
  dockerSocket: (serverId: string) => Promise<string>;
  settings: (serverId: string) => { dataDir: string; imageOverrides: ImageOverrides };
  /** The registry's credentials (keychain) and way in; throws NOT_FOUND naming registryId. */
  registry: (registryId: string) => Promise<V2Target>;
}

/** What the cluster apps service does for a build: its manager, the ownership check, and the deploy itself. */
export interface ClusterSide {
  manager: (clusterId: string) => Promise<Manager>;
  /** Throws CONFLICT when a service of that name exists that OpenPanel did not create. */
  check: (m: Manager, name: string) => Promise<void>;
  apply: (m: Manager, app: ClusterAppSpec, record: ClusterDeploy, auth: ReturnType<typeof registryAuth>) => Promise<void>;
  /** The servers running the app's tasks now (none before its first deploy). */
  taskServers: (m: Manager, clusterId: string, name: string) => Promise<string[]>;
}

export const BuildJobState = JobState.extend({ image: z.string(), commit: z.string(), subject: z.string().optional(), container: z.string(), buildMs: z.number().nullable() });
export type BuildJobState = z.infer<typeof BuildJobState>;

/** The job script as sent: the deploy-side shell library, then the build job (one constant text). */
export const BUILD_SCRIPT = `${SHELL_LIB}\n${BUILD_JOB}`;
export const buildJobName = (id: string) => `openpanel-build-${id}`;
const BUILD_MAX_MS = 60 * 60_000;
const CALL_MS = 30_000;
/** How long the nodes get to pull the new image ahead of the update; Swarm pulls what is still missing itself. */
const PREPULL_MS = 120_000;

function newDeployId(): string {
  return randomBytes(6).toString('hex');
}

export class GitDeploys {
  private readonly deps: GitDeployDeps;
  private readonly cluster: ClusterSide;
  /** Runs of this app process, by deploy id: a deploy is followed by one run at a time. */
  private readonly runs = new Map<string, { tracker: JobTracker<BuildJobState> | null; done: Promise<void> }>();
  private closed = false;

  constructor(deps: GitDeployDeps, cluster: ClusterSide) {
    this.deps = deps;
    this.cluster = cluster;
  }

  async start(raw: ClusterGitDeployInput): Promise<ClusterBuild> {
    const input = InputSchema.parse(raw);
    let builder: { id: string; name: string };
    try {
      builder = this.deps.server(input.builderServerId);
    } catch {
      throw new AppError('NOT_FOUND', `builderServerId: no server ${input.builderServerId}`);
    }
    const target = await this.deps.registry(input.registryId);
    const m = await this.cluster.manager(input.clusterId);
    await this.cluster.check(m, input.name);
    const busy = (await listBuilds(m, input.name)).find((r) => r.progress.status === 'running');
    if (busy) throw new AppError('CONFLICT', `name: deploy ${busy.plan.id} of ${input.name} is still running (step ${busy.progress.step}); wait for it to end`);
    const { source, builderServerId, registryId, ...app } = input;
    const id = newDeployId();
    const plan: BuildPlan = {
      id,
      clusterId: input.clusterId,
      app,
      source,
      builderServerId,
      builder: builder.name,
      registryId,
      registry: target.name,
      tag: `${target.host}/${input.name}:${id}`,
      jobDir: `${this.deps.settings(builder.id).dataDir}/jobs/${id}`,
      startedAt: Date.now(),
    };
    const record = await createBuild(m, plan, { status: 'running', step: 'build', error: null, commit: null, digest: null, image: null, finishedAt: null });
    try {
      await this.launch(plan);
    } catch (e) {
      const error = `build: starting the build on ${plan.builder} failed: ${errorMessage(e)}`;
      await this.save(record, { ...record.progress, status: 'failed', error, finishedAt: Date.now() });
      throw new AppError(e instanceof AppError ? e.code : 'REMOTE_COMMAND_FAILED', error);
    }
    this.follow(record);
    return toView(record);
  }

  /** The app's deploys from git, newest first; running ones this process does not follow yet are re-attached. */
  async list(clusterId: string, name: string): Promise<ClusterBuild[]> {
    const records = await listBuilds(await this.cluster.manager(clusterId), name);
    for (const r of records) if (r.progress.status === 'running') this.follow(r);
    return records.map(toView);
  }

  async get(clusterId: string, name: string, deployId: string): Promise<ClusterBuildDetail> {
    const records = await listBuilds(await this.cluster.manager(clusterId), name);
    const record = records.find((r) => r.plan.id === deployId);
    if (!record) throw new AppError('NOT_FOUND', `deployId: ${deployId} is not a deploy from git of ${name}`);
    if (record.progress.status === 'running') this.follow(record);
    const tracker = this.runs.get(deployId)?.tracker;
    const log = tracker ? tracker.log : await this.readLog(record.plan).catch((e: unknown) => `(the job's log on ${record.plan.builder} could not be read: ${errorMessage(e)})`);
    return { ...toView(record), log };
  }

  /**
   * At start: every deploy from git still running on a cluster (the app was closed while it built) is followed
   * again, so it finishes without anyone opening the app. A cluster whose managers do not answer is tried at its
   * next look (list/get re-attach too).
   */
  async resume(clusterIds: readonly string[]): Promise<number> {
    let resumed = 0;
    for (const id of clusterIds) {
      if (this.closed) break;
      const records = await this.cluster
        .manager(id)
        .then((m) => listBuilds(m, null))
        .catch(() => [] as BuildRecord[]);
      for (const r of records) {
        if (r.progress.status !== 'running' || this.runs.has(r.plan.id)) continue;
        this.follow(r);
        resumed += 1;
      }
    }
    return resumed;
  }

  /** Stops following (the jobs go on on their builders; the records stay running, so the next app re-attaches). */
  close(): void {
    this.closed = true;
    for (const run of this.runs.values()) run.tracker?.stop();
  }

  /** Waits for this process's run of a deploy (tests, the bench); resolves at once when none runs. */
  async settled(deployId: string): Promise<void> {
    await this.runs.get(deployId)?.done;
  }

  private async launch(plan: BuildPlan): Promise<void> {
    const serverId = plan.builderServerId;
    const api = await this.deps.docker(serverId);
    const settings = this.deps.settings(serverId);
    const image = resolveImage(SERVICE_IMAGES.builder, settings.imageOverrides);
    await ensureImage(api, image, { mapping: 'the image overrides' });
    const env = {
      OP_JOB_ID: plan.id,
      OP_JOB_DIR: `${BUILDER_DATA}/jobs/${plan.id}`,
      OP_DATA_DIR: settings.dataDir,
      OP_APP: plan.app.name,
      OP_IMAGE: plan.tag,
      OP_GIT_URL: plan.source.url,
      OP_GIT_REF: plan.source.ref ?? '',
      OP_DOCKERFILE: plan.source.dockerfile,
      OP_CONTEXT: plan.source.context,
      OP_BASE_IMAGES: baseImageAliases(settings.imageOverrides).map(([a, b]) => `${a}=${b}`).join('\n'),
      OP_METRICS_DIR: '',
    };
    const spec = containerJobSpec({
      name: buildJobName(plan.id),
      image,
      script: BUILD_SCRIPT,
      env,
      labels: { ...MANAGED, [LABELS.job]: plan.id, [LABELS.appName]: plan.app.name },
      binds: [`${await this.deps.dockerSocket(serverId)}:/var/run/docker.sock`, `${settings.dataDir}:${BUILDER_DATA}`],
    });
    await withTimeout(startContainerJob(api, spec, { upload: null }), CALL_MS, `starting the build on ${plan.builder}`);
  }

  private readLog(plan: BuildPlan): Promise<string> {
    return sshRead({ conn: () => this.deps.conn(plan.builderServerId), dir: plan.jobDir, schema: BuildJobState })(0).then((r) => r.log.toString('utf8'));
  }

  private follow(record: BuildRecord): void {
    const id = record.plan.id;
    if (this.closed || this.runs.has(id)) return;
    const run: { tracker: JobTracker<BuildJobState> | null; done: Promise<void> } = { tracker: null, done: Promise.resolve() };
    this.runs.set(id, run);
    run.done = this.run(record, run)
      .catch(() => undefined)
      .finally(() => this.runs.delete(id));
  }

  private async run(record: BuildRecord, run: { tracker: JobTracker<BuildJobState> | null }): Promise<void> {
    const plan = record.plan;
    const builderId = plan.builderServerId;
    const tracker = new JobTracker(
      containerReader({
        conn: () => this.deps.conn(builderId),
        docker: async (call) => withTimeout(call(await this.deps.docker(builderId)), CALL_MS, `asking ${plan.builder} about the build`),
        dir: plan.jobDir,
        container: buildJobName(plan.id),
        schema: BuildJobState,
      }),
      { intervalMs: 500, maxMs: BUILD_MAX_MS },
    );
    run.tracker = tracker;
    await tracker.start().finished;
    if (this.closed) return;
    const state = tracker.state;
    if (tracker.outcome !== 'succeeded' || !state) {
      const why = state?.error || tracker.lostReason || (tracker.outcome === 'timeout' ? `still running after ${BUILD_MAX_MS / 60_000} min` : 'the builder stopped without a result');
      return this.fail(record, 'build', `build on ${plan.builder} failed: ${why}`);
    }
    const commit = state.commit;
    await this.save(record, { ...record.progress, step: 'push', commit });
    let target: V2Target;
    let digest: string;
    try {
      target = await this.deps.registry(plan.registryId);
      digest = await pushTag(await this.deps.docker(builderId), target, { app: plan.app.name, tag: plan.id, serverName: plan.builder });
    } catch (e) {
      return this.fail(record, 'push', errorMessage(e));
    }
    const image = `${target.host}/${plan.app.name}@${digest}`;
    await this.save(record, { ...record.progress, step: 'update', digest, image });
    try {
      const m = await this.cluster.manager(plan.clusterId);
      await this.prePull(m, plan, target, digest);
      const deploy: ClusterDeploy = { id: plan.id, image, at: Date.now(), kind: 'deploy', commit, digest, builderServerId: builderId, registry: plan.registry };
      await this.cluster.apply(m, specOf(plan, image), deploy, registryAuth(target));
    } catch (e) {
      return this.fail(record, 'update', `service ${serviceName(plan.app.name)} with ${image} from registry ${target.name} (${target.host}): ${errorMessage(e)}`);
    }
    await this.save(record, { ...record.progress, status: 'succeeded', step: 'done', finishedAt: Date.now() });
  }

  /**
   * The nodes that run the app's tasks pull the new image at once, side by side, before the rolling update: Swarm
   * would pull on each node as it reaches it, one task after another. A task by digest whose image is there starts
   * without a pull. A pull that fails or takes too long is left to Swarm, which reports its own error.
   */
  private async prePull(m: Manager, plan: BuildPlan, target: V2Target, digest: string): Promise<void> {
    const servers = await this.cluster.taskServers(m, plan.clusterId, plan.app.name).catch(() => [] as string[]);
    const deps = { docker: this.deps.docker, server: this.deps.server };
    await Promise.all(servers.map((id) => within(pullByDigest(deps, target, id, plan.app.name, digest), PREPULL_MS).catch(() => null)));
  }

  private async fail(record: BuildRecord, step: BuildProgress['step'], message: string): Promise<void> {
    await this.save(record, { ...record.progress, status: 'failed', step, error: `${step}: ${message}`, finishedAt: Date.now() });
  }

  /** A record that cannot be written now stays as it was: a running one is picked up again by the next look. */
  private async save(record: BuildRecord, progress: BuildProgress): Promise<void> {
    if (this.closed) return;
    try {
      await saveProgress(await this.cluster.manager(record.plan.clusterId), record, progress);
    } catch {
      record.progress = progress;
    }
  }
}
