import type { Readable } from 'node:stream';
import type Docker from 'dockerode';
import { linkSignals, Notifier } from '../core/async.ts';
import { AppError } from '../core/errors.ts';
import { LogMerger, type LogBatch, type MergeOptions, type MergeSource } from './log-merge.ts';
import { dockerSince } from './log-parse.ts';
import { awaitNextRun, type RunAnchor } from './log-restart.ts';
import { LogSource, type Reopen } from './log-source.ts';
import type { DockerClient } from './client.ts';
import { dockerError } from './errors.ts';
import { containerName } from './names.ts';

export type { WireLine } from './log-merge.ts';

export interface FollowLogsOptions {
  containerIds: string[];
  /** Containers of other servers in the same stream. */
  also?: { serverId: string; containerIds: string[] }[];
  /** Keep the streams open for new lines (default true). */
  follow?: boolean;
  /** Only the last N lines of each container (default: all). */
  tail?: number;
  /** Only lines from this time on, in ms since the epoch. */
  since?: number;
  /** Whether lines carry their time (default true). Docker is always asked for them: interleaving needs them. */
  timestamps?: boolean;
  /** Flow control: the consumer acknowledges batches (see `ack`); at most this many unacknowledged bytes are sent. */
  flowId?: string;
  /** The first batch's seq (an app's follow continues one numbering across its containers: log-app.ts). */
  seqFrom?: number;
}

export interface LogsContainer {
  id: string;
  name: string;
  tty: boolean;
}

export interface LogsBatchOut extends LogBatch {
  seq: number;
  /** On the first batch only: what each container index refers to. */
  containers?: LogsContainer[];
}

/** Unacknowledged bytes allowed in flight per stream: text plus LINE_OVERHEAD per line. */
export const FLOW_WINDOW_BYTES = 2 * 1024 * 1024;
/**
 * What a line costs beyond its text, for flow control: on the wire and, above all, as a JS tuple on the receiving
 * side. Without it, 2 MiB of 7-byte lines would be ~300 000 tuples (~80 MB of objects) in flight.
 */
export const LINE_OVERHEAD = 32;

const MERGE: Omit<MergeOptions, 'timestamps'> = { maxBatchBytes: 64 * 1024, maxBatchDelayMs: 30, mergeWaitMs: 100 };

/** Bytes sent and not yet acknowledged by the consumer of one stream; the producer waits while over the window. */
export class FlowWindow {
  private sent = 0;
  private acked = 0;
  private readonly pending: { seq: number; upTo: number }[] = [];
  private readonly acks = new Notifier();

  get inFlight(): number {
    return this.sent - this.acked;
  }

  sentBatch(seq: number, bytes: number): void {
    this.sent += bytes;
    this.pending.push({ seq, upTo: this.sent });
  }

  ack(seq: number): void {
    while (this.pending.length > 0 && this.pending[0]!.seq <= seq) this.acked = this.pending.shift()!.upTo;
    this.acks.notify();
  }

  async below(limit: number, signal: AbortSignal): Promise<void> {
    while (this.inFlight >= limit && !signal.aborted) await this.acks.wait({ signal });
  }
}

export interface LogQuery {
  follow: boolean;
  /** Each line prefixed with its attributes (service logs: the task and node ids). */
  details?: boolean;
  tail?: number | undefined;
  /** In ms since the epoch. */
  since?: number | undefined;
}

/**
 * Opens a Docker log endpoint (`/containers/{id}/logs`, `/services/{id}/logs`) as a stream of both outputs, always
 * with timestamps (interleaving needs them). `statusCodes`: the endpoint's own error statuses (besides 500).
 */
export function dialLogs(docker: Docker, path: string, q: LogQuery, statusCodes: Record<number, string>, signal: AbortSignal): Promise<Readable> {
  const query: Record<string, unknown> = { follow: q.follow, stdout: true, stderr: true, timestamps: true };
  if (q.details) query.details = true;
  if (q.tail !== undefined) query.tail = q.tail;
  if (q.since !== undefined) query.since = dockerSince(q.since);
  return new Promise((resolve, reject) => {
    // Through modem.dial rather than container.logs() / service.logs(): dockerode buffers the whole answer when not following.
    docker.modem.dial(
      { path: `${path}?`, method: 'GET', abortSignal: signal, isStream: true, statusCodes: { 200: true, ...statusCodes, 500: 'server error' }, options: query } as never,
      (err: unknown, stream: unknown) => (err ? reject(err) : resolve(stream as Readable)),
    );
  });
}

function openLogStream(docker: Docker, id: string, opts: Pick<FollowLogsOptions, 'follow' | 'tail' | 'since'>, signal: AbortSignal): Promise<Readable> {
  return dialLogs(docker, `/containers/${encodeURIComponent(id)}/logs`, { follow: opts.follow ?? true, tail: opts.tail, since: opts.since }, { 404: 'no such container' }, signal);
}

/**
 * One follow's sources, as `LogsService.stream` sends them: opened by `start`, merged, and each merged batch
 * shaped for the wire. The container streams and a cluster app's service stream differ only here.
 */
export interface LogFeed {
  /** Opens the streams; a failure here ends the follow with it, before anything was sent. */
  start(): Promise<void>;
  readonly sources: readonly MergeSource[];
  /** What each source index refers to (the first batch; a batch that changes them sends them again). */
  containers(): LogsContainer[];
  /** A merged batch as sent, or null when nothing of it is (not counted, no seq); throws to end with an error. */
  shape(batch: LogBatch): Omit<LogsBatchOut, 'seq'> | null | Promise<Omit<LogsBatchOut, 'seq'> | null>;
  /** Once the merge is over (every source ended, or the follow was cancelled): throws to end with an error. */
  finish(): void;
  destroy(): void;
}

export interface StreamOptions {
  flowId?: string | undefined;
  seqFrom?: number | undefined;
  merge: MergeOptions;
}

/**
 * Live logs of one or several containers of a server, through the Docker API on its SSH connection. Each
 * container gets its own stream channel (never the kept-alive pool); lines are demultiplexed into stdout and
 * stderr, timestamped, interleaved by time and sent in batches. Nothing is read from a container's stream
 * before the consumer wants more, and with a flow id no more than FLOW_WINDOW_BYTES go unacknowledged, so a
 * slow consumer slows the server down instead of filling this process's memory.
 */
export class LogsService {
  private readonly client: (serverId: string) => Promise<DockerClient>;
  private readonly flows = new Map<string, FlowWindow>();

  constructor(client: (serverId: string) => Promise<DockerClient>) {
    this.client = client;
  }

  /** Acknowledges every batch up to `seq` of stream `flowId`. False when no such stream is open. */
  ack(flowId: string, seq: number): boolean {
    const flow = this.flows.get(flowId);
    flow?.ack(seq);
    return !!flow;
  }

  /** How many streams are open (with flow control). */
  get openFlows(): number {
    return this.flows.size;
  }

  /** Registers a stream's window under `flowId` so `ack` reaches it (CONFLICT when that id is open); `close` forgets it. */
  openFlow(flowId: string | undefined): { window: FlowWindow; close: () => void } {
    if (flowId && this.flows.has(flowId)) throw new AppError('CONFLICT', `flowId: a log stream with id ${flowId} is already open.`);
    const window = new FlowWindow();
    if (flowId) this.flows.set(flowId, window);
    return {
      window,
      close: () => {
        if (flowId && this.flows.get(flowId) === window) this.flows.delete(flowId);
      },
    };
  }

  follow(serverId: string, opts: FollowLogsOptions, signal: AbortSignal): AsyncGenerator<LogsBatchOut> {
    const merge = { ...MERGE, timestamps: opts.timestamps ?? true };
    return this.stream({ flowId: opts.flowId, seqFrom: opts.seqFrom, merge }, signal, (s) => new ContainersFeed(this.client, serverId, opts, s));
  }

  /**
   * The one log stream loop (containers and cluster apps): registers the flow, starts the feed, sends a first
   * batch naming the sources, then the merged batches, each shaped by the feed and counted against the ack window
   * (with a flow id), until every source ended or `signal` aborts. `open` gets the follow's own signal.
   */
  async *stream(opts: StreamOptions, signal: AbortSignal, open: (signal: AbortSignal) => LogFeed): AsyncGenerator<LogsBatchOut> {
    const { window: flow, close } = this.openFlow(opts.flowId);
    const ac = linkSignals(signal);
    let feed: LogFeed | undefined;
    try {
      feed = open(ac.signal);
      await feed.start();
      const merger = new LogMerger(feed.sources, opts.merge, ac.signal);
      let seq = opts.seqFrom ?? 0;
      yield { seq: seq++, lines: [], ended: [], bytes: 0, containers: feed.containers() };
      while (!ac.signal.aborted) {
        if (opts.flowId) await flow.below(FLOW_WINDOW_BYTES, ac.signal);
        const batch = await merger.next();
        if (!batch) break;
        const out = await feed.shape(batch);
        if (!out) continue;
        flow.sentBatch(seq, out.bytes + LINE_OVERHEAD * out.lines.length);
        yield { seq: seq++, ...out };
      }
      feed.finish();
    } finally {
      ac.abort();
      feed?.destroy();
      close();
    }
  }
}

/** The containers of one follow (on one server or several): a LogSource each, re-attached after restarts. */
class ContainersFeed implements LogFeed {
  readonly sources: LogSource[] = [];
  private list: LogsContainer[] = [];
  private readonly client: (serverId: string) => Promise<DockerClient>;
  private readonly serverId: string;
  private readonly opts: FollowLogsOptions;
  private readonly signal: AbortSignal;

  constructor(client: (serverId: string) => Promise<DockerClient>, serverId: string, opts: FollowLogsOptions, signal: AbortSignal) {
    this.client = client;
    this.serverId = serverId;
    this.opts = opts;
    this.signal = signal;
  }

  async start(): Promise<void> {
    const { opts, signal } = this;
    const groups = [{ serverId: this.serverId, containerIds: opts.containerIds }, ...(opts.also ?? [])];
    const opened = (
      await Promise.all(
        groups.map(async (g) => {
          const client = await this.client(g.serverId);
          return Promise.all(g.containerIds.map(async (id) => ({ client, ...(await inspect(client.api, id)) })));
        }),
      )
    ).flat();
    this.list = opened.map(({ id, name, tty }) => ({ id, name, tty }));
    const streams = await Promise.all(opened.map((c) => openLogStream(c.client.streams, c.id, opts, signal).catch((e: unknown) => Promise.reject(logsError(e, c.id)))));
    streams.forEach((stream, i) => {
      const c = opened[i]!;
      const reopen = (opts.follow ?? true) ? restarts(c.client, c.id, c.name, c.anchor, signal) : undefined;
      this.sources.push(new LogSource(i, stream, { multiplexed: !c.tty, timestamps: true, ...(reopen ? { reopen } : {}) }));
    });
  }

  containers(): LogsContainer[] {
    return this.list;
  }

  shape(batch: LogBatch): LogBatch {
    const failed = this.sources.find((s) => s.error && s.endReported);
    if (failed?.error) throw logsError(failed.error, this.list[failed.index]!.id);
    return batch;
  }

  finish(): void {}

  destroy(): void {
    for (const s of this.sources) s.destroy();
  }
}

/**
 * Re-attaches to each next run of a followed container: the new stream starts at the die that ended the
 * previous run (so nothing of the new run is missed and nothing of the old one repeats), with a marker line.
 */
function restarts(client: DockerClient, id: string, name: string, first: RunAnchor, signal: AbortSignal): Reopen {
  let anchor = first;
  return async () => {
    const run = await awaitNextRun(client, id, anchor, signal);
    if (!run) return null;
    anchor = { sinceMs: run.startedAt, running: true };
    const stream = await openLogStream(client.streams, id, { follow: true, since: run.diedAt }, signal);
    return { stream, at: run.startedAt, text: `${name} restarted` };
  };
}

async function inspect(api: Docker, id: string): Promise<LogsContainer & { anchor: RunAnchor }> {
  try {
    const info = await api.getContainer(id).inspect();
    const running = !!info.State?.Running;
    const at = Date.parse(running ? info.State.StartedAt : info.State?.FinishedAt ?? '');
    return { id: info.Id, name: containerName(info), tty: !!info.Config?.Tty, anchor: { sinceMs: Number.isFinite(at) ? at : Date.now(), running } };
  } catch (e) {
    throw logsError(e, id);
  }
}

function logsError(e: unknown, id: string): AppError {
  return dockerError(e, id, {
    notFound: () => `containerIds: no container ${id} on this server.`,
    conflict: (why) => `Logs of container ${id}: ${why}`,
    other: (why) => `Logs of container ${id}: ${why}`,
  });
}
