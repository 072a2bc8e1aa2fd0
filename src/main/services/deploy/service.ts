import { randomBytes } from 'node:crypto';
import type { Deploy, DeployEvent } from '../../../shared/contract/apps.ts';
import type Docker from 'dockerode';
import { withTimeout } from '../core/async.ts';
import { AppError, errorMessage, isAppError } from '../core/errors.ts';
import { LABELS } from '../docker/labels.ts';
import type { DockerService } from '../docker/service.ts';
import { ensureImage, ensureNetwork } from '../proxy/service.ts';
import { DEFAULT_IMAGES, resolveImage } from '../proxy/images.ts';
import type { ShipSettingsStore } from '../proxy/settings.ts';
import type { ConnectionPool } from '../ssh/pool.ts';
import type { AppsService } from './apps.ts';
import { composeDown, composeJob, composeOf, composeProject, composeRef, isComposeRef, revisionOf } from './compose.ts';
import { builderName, deployContainer, deployImage, JOB_APP_LABEL, jobDirOf, jobReader, jobVars, packFolder, startBuilder } from './job.ts';
import { toDeploy, type DeployRow, type DeployStore, type NewDeployRow } from './store.ts';
import type { ContainerStderr } from '../jobs/container.ts';
import { followTracker, JobTracker, type TrackerOptions } from '../jobs/tracker.ts';

export interface DeployServiceDeps {
  store: DeployStore;
  apps: Pick<AppsService, 'secretsOf'>;
  settings: ShipSettingsStore;
  docker: DockerService;
  pool: ConnectionPool;
  dockerSocket: (serverId: string) => Promise<string>;
  tracker?: TrackerOptions;
}

/** A Docker call with a timeout; a stuck call drops the server's Docker client so the next one reconnects. */
export async function guarded<T>(docker: DockerService, serverId: string, what: string, call: () => Promise<T>, ms = 30_000): Promise<T> {
  return withTimeout(call(), ms, () => {
    docker.invalidate(serverId);
    return new AppError('TIMEOUT', `${what}: no answer from Docker within ${Math.round(ms / 1000)} s`);
  });
}

/**
 * The server's Docker API, checked with a ping: a kept-alive tunnel that died with a dropped link (requests then
 * hang instead of failing) is replaced by a fresh one before it is used.
 */
export async function liveApi(docker: DockerService, serverId: string): Promise<Docker> {
  const ping = async () => {
    const api = await docker.api(serverId);
    await api.ping();
    return api;
  };
  try {
    return await guarded(docker, serverId, 'Docker', ping, 8_000);
  } catch (e) {
    if (!isAppError(e, 'TIMEOUT')) throw e;
    return guarded(docker, serverId, 'Docker', ping, 20_000);
  }
}

/** A deploy id: time-ordered, lowercase (it names the image tag and the container). */
function newDeployId(): string {
  return `d${Date.now().toString(36)}${randomBytes(4).toString('hex')}`;
}

/**
 * Deploys are jobs on the server: this starts them (builder container), follows them (JobTracker over SSH) and
 * mirrors their state into SQLite. On start it re-attaches to every job the database still has as running.
 */
export class DeployService {
  private readonly trackers = new Map<string, JobTracker>();
  private closed = false;

  private readonly deps: DeployServiceDeps;

  constructor(deps: DeployServiceDeps) {
    this.deps = deps;
  }

  /** Re-attach to jobs that were running when the app stopped. */
  resume(): void {
    for (const row of this.deps.store.active()) this.track(row);
  }

  get(deployId: string): Deploy {
    return toDeploy(this.deps.store.deploy(deployId), this.trackers.get(deployId)?.attached ?? false);
  }

  last(appId: string): Deploy | null {
    const row = this.deps.store.deploys(appId, 1)[0];
    return row ? toDeploy(row, this.trackers.get(row.id)?.attached ?? false) : null;
  }

  history(appId: string, limit: number): Deploy[] {
    this.deps.store.app(appId);
    return this.deps.store.deploys(appId, limit).map((r) => toDeploy(r, this.trackers.get(r.id)?.attached ?? false));
  }

  log(deployId: string): string {
    const row = this.deps.store.deploy(deployId);
    return this.trackers.get(deployId)?.log ?? row.log ?? '';
  }

  images(appId: string) {
    return this.deps.store
      .deploys(appId, 200)
      .filter((r) => r.status === 'succeeded' && r.image)
      .map((r) => ({ deployId: r.id, image: r.image!, commit: r.commit, createdAt: r.createdAt }));
  }

  async deploy(appId: string, trigger: 'manual' | 'webhook' = 'manual'): Promise<Deploy> {
    return this.start(appId, 'deploy', null, trigger);
  }

  async rollback(appId: string, toDeployId: string): Promise<Deploy> {
    const target = this.deps.store.deploy(toDeployId);
    if (target.appId !== appId) throw new AppError('INPUT_INVALID', 'toDeployId: that deploy belongs to another app');
    if (target.status !== 'succeeded' || !target.image) throw new AppError('INPUT_INVALID', 'toDeployId: only a succeeded deploy has an image to roll back to');
    const compose = !!composeOf(this.deps.store.config(this.deps.store.app(appId)));
    if (isComposeRef(target.image) !== compose) throw new AppError('INPUT_INVALID', `toDeployId: that deploy ran ${compose ? 'a Dockerfile image' : 'a Compose stack'}; this app now deploys ${compose ? 'a Compose file' : 'a Dockerfile'}`);
    return this.start(appId, 'rollback', target, 'manual');
  }

  private async start(appId: string, kind: 'deploy' | 'rollback', target: DeployRow | null, trigger: 'manual' | 'webhook'): Promise<Deploy> {
    const row = this.deps.store.app(appId);
    if (this.deps.store.active(appId).length) throw new AppError('CONFLICT', 'id: a deploy of this app is already running; wait for it or cancel it');
    await this.refuseIfJobOnServer(row.serverId, appId);
    const app = this.deps.store.config(row);
    const settings = this.deps.settings.get(row.serverId);
    const id = newDeployId();
    const compose = composeOf(app);
    const revision = compose ? (target?.image ? revisionOf(target.image) : id) : null;
    const image = target?.image ?? (compose ? composeRef(composeProject(app), id) : deployImage(app.name, id));
    // A stack's containers are named by Compose; the deploy records none.
    const container = compose ? null : deployContainer(app.name, id);
    const now = Date.now();
    const deployRow: DeployRow = {
      id, appId, serverId: row.serverId, kind, trigger, status: 'queued', step: 'queued', progress: 0, image, commit: target?.commit ?? null,
      commitSubject: target?.commitSubject ?? null, container, error: null, buildSeconds: null, jobDir: jobDirOf(settings, id), log: null, createdAt: now, finishedAt: null,
    };
    this.deps.store.insertDeploy(deployRow);
    let stderr: ContainerStderr | null;
    try {
      const { deployKey, env } = await this.deps.apps.secretsOf(row);
      const upload = kind === 'deploy' && app.source.kind === 'upload' ? await packFolder(app.source.path) : null;
      const job = revision
        ? composeJob({ deployId: id, appId, kind, app, settings, revision, deployKey, env, upload: !!upload })
        : { vars: jobVars({ deployId: id, appId, kind, app, settings, image, container: container!, deployKey, env, upload: !!upload }), script: undefined, binds: [] };
      const builder = resolveImage(DEFAULT_IMAGES.builder, settings.imageOverrides);
      const dockerSocket = await this.deps.dockerSocket(row.serverId);
      const api = await liveApi(this.deps.docker, row.serverId);
      const attach = (await this.deps.docker.client(row.serverId)).streams;
      ({ stderr } = await guarded(this.deps.docker, row.serverId, 'starting the deploy job', async () => {
        await ensureNetwork(api);
        await ensureImage(api, builder);
        return startBuilder(api, { deployId: id, image: builder, dockerSocket, settings, vars: job.vars, ...(job.script ? { script: job.script } : {}), binds: job.binds, upload, attach });
      }, 300_000));
    } catch (e) {
      this.deps.store.updateDeploy(id, { status: 'failed', error: `starting the job: ${errorMessage(e)}`, finishedAt: Date.now(), log: `!! starting the job failed: ${errorMessage(e)}\n` });
      throw e instanceof AppError ? e : new AppError('REMOTE_COMMAND_FAILED', `starting the deploy job: ${errorMessage(e)}`);
    }
    this.deps.store.updateDeploy(id, { status: 'running', step: 'prepare' });
    this.track(this.deps.store.deploy(id), stderr);
    return this.get(id);
  }

  /** A job of this app that SQLite does not know yet (started by the push-to-deploy receiver) also blocks a deploy. */
  private async refuseIfJobOnServer(serverId: string, appId: string): Promise<void> {
    let running: number;
    try {
      const api = await liveApi(this.deps.docker, serverId);
      const builders = await guarded(this.deps.docker, serverId, 'looking for running jobs', () => api.listContainers({ filters: { label: [`${JOB_APP_LABEL}=${appId}`] } }), 15_000);
      // A builder whose job already ended (its final state was read) is only exiting and removing itself.
      running = builders.filter((b) => !this.jobEnded(b.Labels[LABELS.job])).length;
    } catch {
      return; // the start itself reports an unreachable server
    }
    if (running) throw new AppError('CONFLICT', 'id: a deploy of this app is already running on the server (started by its push-to-deploy webhook); wait for it or cancel it');
  }

  private jobEnded(deployId: string | undefined): boolean {
    if (!deployId || !this.deps.store.hasDeploy(deployId)) return false;
    const status = this.deps.store.deploy(deployId).status;
    return status !== 'running' && status !== 'queued';
  }

  /** A deploy the server started on its own (push-to-deploy): recorded in the history and followed like ours. */
  adopt(row: NewDeployRow): boolean {
    if (this.deps.store.hasDeploy(row.id)) return false;
    this.deps.store.insertDeploy(row);
    if (row.status === 'running' || row.status === 'queued') this.track(this.deps.store.deploy(row.id));
    return true;
  }

  /** A Compose app's stack taken down on the server (`compose down`, volumes only when asked); returns its output. */
  async removeStack(appId: string, removeVolumes: boolean): Promise<string> {
    const row = this.deps.store.app(appId);
    const app = this.deps.store.config(row);
    if (!composeOf(app)) throw new AppError('INPUT_INVALID', 'id: this app does not deploy a Compose file');
    const settings = this.deps.settings.get(row.serverId);
    const { env } = await this.deps.apps.secretsOf(row);
    const builder = resolveImage(DEFAULT_IMAGES.builder, settings.imageOverrides);
    const dockerSocket = await this.deps.dockerSocket(row.serverId);
    const api = await liveApi(this.deps.docker, row.serverId);
    const input = { deployId: newDeployId(), appId, kind: 'deploy' as const, app, settings, revision: 'd0', deployKey: null, env, upload: false, removeVolumes };
    return guarded(this.deps.docker, row.serverId, 'taking the stack down', async () => {
      await ensureImage(api, builder);
      return composeDown(api, { image: builder, dockerSocket, input, timeoutMs: 240_000 });
    }, 300_000);
  }

  async cancel(deployId: string): Promise<Deploy> {
    const row = this.deps.store.deploy(deployId);
    if (row.status !== 'running' && row.status !== 'queued') throw new AppError('CONFLICT', `deployId: the deploy is already ${row.status}`);
    const t = this.trackers.get(deployId);
    const step = t?.state?.step ?? row.step;
    // A stack is updated in place from `compose up` on: cancelling then would leave it half updated.
    if (isComposeRef(row.image) && (step === 'start' || step === 'health')) throw new AppError('CONFLICT', 'deployId: Compose is already updating the stack; too late to cancel (roll back instead)');
    if (step === 'switch' || step === 'cleanup' || step === 'done') throw new AppError('CONFLICT', 'deployId: traffic is already switching to the new version; too late to cancel (roll back instead)');
    const api = await liveApi(this.deps.docker, row.serverId);
    await guarded(this.deps.docker, row.serverId, 'cancelling the deploy job', async () => {
      await api.getContainer(builderName(deployId)).kill().catch(() => undefined);
      await api.getContainer(builderName(deployId)).remove({ force: true }).catch(() => undefined);
      if (row.container) await api.getContainer(row.container).remove({ force: true }).catch(() => undefined);
    });
    t?.stop();
    this.trackers.delete(deployId);
    const log = `${t?.log ?? row.log ?? ''}!! cancelled by the user\n`;
    this.deps.store.updateDeploy(deployId, { status: 'cancelled', error: 'cancelled', log, finishedAt: Date.now() });
    return this.get(deployId);
  }

  /** State and log of a deploy, live until it is over. */
  async *watch(deployId: string, since: number, signal: AbortSignal): AsyncGenerator<DeployEvent> {
    let sent = since;
    const snapshot = (): DeployEvent[] => {
      const events: DeployEvent[] = [{ type: 'state', deploy: this.get(deployId) }];
      const text = this.trackers.get(deployId)?.log ?? this.deps.store.deploy(deployId).log ?? '';
      if (text.length > sent) {
        events.push({ type: 'log', from: sent, data: text.slice(sent) });
        sent = text.length;
      }
      return events;
    };
    const t = this.trackers.get(deployId);
    if (!t) {
      if (!signal.aborted) yield* snapshot();
      return;
    }
    try {
      for await (const _ of followTracker(t, signal)) yield* snapshot();
    } catch (e) {
      if (!signal.aborted) throw e;
    }
  }

  private track(row: DeployRow, stderr: ContainerStderr | null = null): void {
    if (this.closed || this.trackers.has(row.id)) return;
    const reader = jobReader(
      () => this.deps.pool.acquire(row.serverId),
      (call) => guarded(this.deps.docker, row.serverId, 'checking the deploy job', async () => call(await this.deps.docker.api(row.serverId)), 10_000),
      row.jobDir,
      row.id,
      stderr,
    );
    const t = new JobTracker(reader, this.deps.tracker);
    this.trackers.set(row.id, t);
    t.on('update', () => {
      const s = t.state;
      const set: Partial<DeployRow> = {};
      if (s) Object.assign(set, { step: s.step, progress: s.progress, commit: s.commit || null, buildSeconds: s.buildMs === null ? null : s.buildMs / 1000 });
      // A rollback's job knows the commit (image label) but not its subject: the row keeps the one it was given.
      if (s?.subject) set.commitSubject = s.subject;
      // A tracker that timed out leaves the deploy running, as it is on the server as far as anyone knows.
      const ended = t.outcome !== null && t.outcome !== 'timeout';
      if (ended) {
        Object.assign(set, {
          status: t.outcome === 'succeeded' ? 'succeeded' : 'failed',
          error: t.outcome === 'lost' ? (t.lostReason ?? 'the job stopped on the server without a result (builder killed?)') : s?.error || null,
          log: t.log,
          finishedAt: Date.now(),
        });
      }
      if (this.deps.store.deploy(row.id).status === 'cancelled') return;
      this.deps.store.updateDeploy(row.id, set);
    });
    void t.finished.then(() => {
      if (t.outcome && t.outcome !== 'timeout') this.trackers.delete(row.id);
      t.emit('update');
    });
    t.start();
  }

  close(): void {
    this.closed = true;
    for (const t of this.trackers.values()) t.stop();
    this.trackers.clear();
  }
}
