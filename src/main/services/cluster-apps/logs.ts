import type { Readable } from 'node:stream';
import type Docker from 'dockerode';
import type { LogsContainer, LogsFollowClusterAppInput } from '../../../shared/contract/logs.ts';
import { bounded, listNodes } from '../cluster/swarm.ts';
import type { RawTask } from '../cluster/tasks.ts';
import type { Manager } from '../cluster/view.ts';
import { withTimeout } from '../core/async.ts';
import { AppError } from '../core/errors.ts';
import type { DockerClient } from '../docker/client.ts';
import { dockerError, isDockerNotFound } from '../docker/errors.ts';
import { isPermanent } from '../docker/events.ts';
import { LABELS } from '../docker/labels.ts';
import type { LogBatch, MergeSource } from '../docker/log-merge.ts';
import { dialLogs, type LogFeed, type LogsBatchOut, type LogsService } from '../docker/logs.ts';
import { backoffDelay } from '../ssh/backoff.ts';
import { CONTROL, ServiceLogFeed, type StreamStatus, type TaskInfo } from './log-feed.ts';
import { serviceName } from './spec.ts';

export interface ClusterLogsDeps {
  /** A manager of the cluster that answers, other than `except` when given (ClusterService.manager). */
  manager: (clusterId: string, except?: string) => Promise<Manager>;
  /** The server's Docker client (its `streams` agent carries the long log request). */
  client: (serverId: string) => Promise<DockerClient>;
}

type FollowInput = Omit<LogsFollowClusterAppInput, 'timestamps'> & { timestamps?: boolean };

/**
 * Tasks' lines come to the manager from each node's agent, so one node's lines can arrive a few hundred ms after
 * another's: a quiet task holds the merge back longer than a local container does (100 ms).
 */
const MERGE = { maxBatchBytes: 64 * 1024, maxBatchDelayMs: 30, mergeWaitMs: 500 };
/** After a reconnect, lines are asked again from this long before the newest one seen (duplicates are dropped per task). */
const RESUME_OVERLAP_MS = 5_000;
const NAMES_MS = 5_000;

interface Opened {
  stream: Readable;
  manager: Manager;
  tty: boolean;
  serviceId: string;
}

/**
 * Logs of every task of a cluster app, through a manager's Engine API (`GET /services/{id}/logs` with `details`,
 * whose attributes name each line's task and node), on the manager's SSH tunnel. Each task becomes one source of
 * the same merger the container logs use (ordered by time, batched, under the same ack window). Tasks Swarm starts
 * later join the stream. A transient failure (the manager lost, its connection dropped) is reported as
 * `reconnecting` and the stream resumes through a manager that answers, from a little before the newest line,
 * with the repeats dropped; a removed app ends the stream; a permanent error (no Docker access, a refused host
 * key) ends it with that error.
 */
export function followClusterApp(deps: ClusterLogsDeps, logs: LogsService, input: FollowInput, signal: AbortSignal): AsyncGenerator<LogsBatchOut> {
  const merge = { ...MERGE, timestamps: input.timestamps ?? true };
  return logs.stream({ flowId: input.flowId, merge }, signal, (s) => new AppFeed(deps, input, s));
}

/**
 * The app's service stream as `LogsService.stream` sends it: the feed's CONTROL lines become `status`, tasks that
 * join or are named again send `containers` again, and a batch with none of these is not sent.
 */
class AppFeed implements LogFeed {
  private readonly feed: ServiceLogFeed;
  private readonly naming: TaskNames;
  private sentNames = -1;

  constructor(deps: ClusterLogsDeps, input: FollowInput, signal: AbortSignal) {
    const naming = new TaskNames(deps, input.clusterId, input.name);
    this.naming = naming;
    let lastManager: string | undefined;
    let first = true;
    this.feed = new ServiceLogFeed({
      signal,
      open: async (resumeFrom, attempt) => {
        // Alternate: first a manager other than the one just lost, then any (it may be the only one).
        const opened = await openServiceLogs(deps, input, naming, first ? {} : { except: attempt % 2 === 1 ? lastManager : undefined, resumeFrom }, signal);
        first = false;
        lastManager = opened.manager.serverId;
        return opened;
      },
      info: (taskId, nodeId) => naming.info(taskId, nodeId),
      initial: () => naming.running(),
      delay: (attempt) => backoffDelay(attempt, 250, 5_000) + 100,
      permanent: (e) => isPermanent(e) || (e instanceof AppError && e.code === 'NOT_FOUND'),
    });
  }

  get sources(): readonly MergeSource[] {
    return this.feed.sources;
  }

  start(): Promise<void> {
    return this.feed.start();
  }

  containers(): LogsContainer[] {
    this.sentNames = this.feed.namesVersion;
    return this.feed.tasks().map(toContainer);
  }

  async shape(batch: LogBatch): Promise<Omit<LogsBatchOut, 'seq'> | null> {
    const feed = this.feed;
    const lines = batch.lines.filter((l) => l[0] !== CONTROL);
    const ended = batch.ended.filter((i) => i !== CONTROL);
    const status: StreamStatus | null = lines.length !== batch.lines.length ? feed.status : null;
    if (feed.error) throw feed.error;
    if (feed.unnamed) await withTimeout((s) => this.naming.refresh(s), NAMES_MS, 'naming new tasks').then(
        () => feed.renamed(),
        () => (feed.unnamed = false), // named by task id until the next new task
      );
    const out: Omit<LogsBatchOut, 'seq'> & { status?: StreamStatus } = { lines, ended, bytes: batch.bytes };
    if (feed.namesVersion !== this.sentNames) out.containers = this.containers();
    if (status) out.status = status;
    if (lines.length === 0 && ended.length === 0 && !out.containers && !out.status) return null;
    return out;
  }

  finish(): void {
    if (this.feed.error) throw this.feed.error;
  }

  destroy(): void {
    this.feed.destroy();
  }
}

function toContainer(t: TaskInfo): LogsContainer {
  return { id: t.id, name: t.name, tty: t.tty, ...(t.node ? { node: t.node } : {}), ...(t.slot !== null ? { slot: t.slot } : {}) };
}

/** Task id → slot and node hostname, read from the manager; refreshed when an unknown task shows up. */
class TaskNames {
  private readonly deps: ClusterLogsDeps;
  private readonly clusterId: string;
  private readonly app: string;
  private api: Docker | null = null;
  private serviceId = '';
  tty = false;
  private tasks = new Map<string, RawTask>();
  private hosts = new Map<string, string>();

  constructor(deps: ClusterLogsDeps, clusterId: string, app: string) {
    this.deps = deps;
    this.clusterId = clusterId;
    this.app = app;
  }

  use(api: Docker, serviceId: string, tty: boolean): void {
    this.api = api;
    this.serviceId = serviceId;
    this.tty = tty;
  }

  async refresh(signal?: AbortSignal): Promise<void> {
    const api = this.api;
    if (!api) return;
    const [tasks, nodes] = await Promise.all([
      bounded((s) => api.listTasks({ filters: { service: [this.serviceId] }, abortSignal: signal ?? s }) as Promise<unknown> as Promise<RawTask[]>, `listing the tasks of ${serviceName(this.app)}`),
      listNodes(api, `cluster ${this.clusterId}`),
    ]);
    this.tasks = new Map(tasks.map((t) => [t.ID, t]));
    this.hosts = new Map(nodes.map((n) => [n.ID, n.Description?.Hostname ?? n.ID]));
  }

  /** Tasks the manager lists as meant to run, by slot (shown before their first line). */
  running(): string[] {
    return [...this.tasks.values()].filter((t) => t.DesiredState === 'running').sort((a, b) => (a.Slot ?? 0) - (b.Slot ?? 0)).map((t) => t.ID);
  }

  info(taskId: string, nodeId: string | null): Omit<TaskInfo, 'index'> {
    const task = this.tasks.get(taskId);
    const node = nodeId ?? task?.NodeID ?? null;
    const host = node ? (this.hosts.get(node) ?? node.slice(0, 12)) : null;
    const slot = task?.Slot ?? null;
    const name = `${this.app}.${slot ?? taskId.slice(0, 12)}${host ? `@${host}` : ''}`;
    return { id: taskId, name, tty: this.tty, node: host, slot, known: !!task };
  }
}

async function openServiceLogs(
  deps: ClusterLogsDeps,
  input: FollowInput,
  naming: TaskNames,
  again: { except?: string | undefined; resumeFrom?: number | null },
  signal: AbortSignal,
): Promise<Opened> {
  const manager = await deps.manager(input.clusterId, again.except);
  const svc = serviceName(input.name);
  let raw: { ID: string; Spec: { Labels?: Record<string, string>; TaskTemplate?: { ContainerSpec?: { TTY?: boolean } } } };
  try {
    raw = (await bounded((s) => manager.api.getService(svc).inspect({ abortSignal: s }), `reading ${svc} on ${manager.name}`)) as typeof raw;
  } catch (e) {
    if (isDockerNotFound(e)) throw new AppError('NOT_FOUND', `name: ${input.name} is not an app on this cluster`);
    throw dockerError(e, `service ${svc}`);
  }
  if (raw.Spec.Labels?.[LABELS.app] !== input.name) throw new AppError('NOT_FOUND', `name: ${input.name} is not an app on this cluster (a service ${svc} exists that OpenPanel did not create)`);
  naming.use(manager.api, raw.ID, !!raw.Spec.TaskTemplate?.ContainerSpec?.TTY);
  await naming.refresh();
  // Nothing delivered yet: the first request again (the same backfill, nothing repeated).
  const resumed = again.resumeFrom !== undefined && again.resumeFrom !== null;
  const query = resumed ? { since: Math.max(0, again.resumeFrom! - RESUME_OVERLAP_MS) } : { tail: input.tail, since: input.since };
  const client = await deps.client(manager.serverId);
  const statusCodes = { 404: 'no such service', 503: 'node is not part of a swarm' };
  const stream = await dialLogs(client.streams, `/services/${encodeURIComponent(raw.ID)}/logs`, { follow: true, details: true, ...query }, statusCodes, signal).catch((e: unknown) => {
    if (isDockerNotFound(e)) throw new AppError('NOT_FOUND', `name: ${input.name} is not an app on this cluster`);
    throw dockerError(e, `logs of ${svc} on ${manager.name}`);
  });
  return { stream, manager, tty: naming.tty, serviceId: raw.ID };
}
