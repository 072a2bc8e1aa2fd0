import type { Readable } from 'node:stream';
import type Docker from 'dockerode';
import { linkSignals, Notifier } from '../core/async.ts';
import { AppError } from '../core/errors.ts';
import { LogMerger, type LogBatch, type MergeOptions } from './log-merge.ts';
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

function openLogStream(docker: Docker, id: string, opts: Pick<FollowLogsOptions, 'follow' | 'tail' | 'since'>, signal: AbortSignal): Promise<Readable> {
  const query: Record<string, unknown> = { follow: opts.follow ?? true, stdout: true, stderr: true, timestamps: true };
  if (opts.tail !== undefined) query.tail = opts.tail;
  if (opts.since !== undefined) query.since = dockerSince(opts.since);
  return new Promise((resolve, reject) => {
    // Through modem.dial rather than container.logs(): dockerode buffers the whole answer when not following.
    docker.modem.dial(
      {
        path: `/containers/${encodeURIComponent(id)}/logs?`,
        method: 'GET',
        abortSignal: signal,
        isStream: true,
        statusCodes: { 200: true, 404: 'no such container', 500: 'server error' },
        options: query,
      } as never,
      (err: unknown, stream: unknown) => (err ? reject(err) : resolve(stream as Readable)),
    );
  });
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

  async *follow(serverId: string, opts: FollowLogsOptions, signal: AbortSignal): AsyncGenerator<LogsBatchOut> {
    const { window: flow, close } = this.openFlow(opts.flowId);
    const ac = linkSignals(signal);
    const sources: LogSource[] = [];
    try {
      const groups = [{ serverId, containerIds: opts.containerIds }, ...(opts.also ?? [])];
      const opened = (
        await Promise.all(
          groups.map(async (g) => {
            const client = await this.client(g.serverId);
            return Promise.all(g.containerIds.map(async (id) => ({ client, ...(await inspect(client.api, id)) })));
          }),
        )
      ).flat();
      const containers = opened.map(({ id, name, tty }) => ({ id, name, tty }));
      const streams = await Promise.all(opened.map((c) => openLogStream(c.client.streams, c.id, opts, ac.signal).catch((e: unknown) => Promise.reject(logsError(e, c.id)))));
      streams.forEach((stream, i) => {
        const c = opened[i]!;
        const reopen = (opts.follow ?? true) ? restarts(c.client, c.id, c.name, c.anchor, ac.signal) : undefined;
        sources.push(new LogSource(i, stream, { multiplexed: !c.tty, timestamps: true, ...(reopen ? { reopen } : {}) }));
      });
      const merger = new LogMerger(sources, { ...MERGE, timestamps: opts.timestamps ?? true }, ac.signal);
      let seq = opts.seqFrom ?? 0;
      yield { seq: seq++, lines: [], ended: [], bytes: 0, containers };
      while (!ac.signal.aborted) {
        if (opts.flowId) await flow.below(FLOW_WINDOW_BYTES, ac.signal);
        const batch = await merger.next();
        if (!batch) return;
        const failed = sources.find((s) => s.error && s.endReported);
        if (failed?.error) throw logsError(failed.error, containers[failed.index]!.id);
        flow.sentBatch(seq, batch.bytes + LINE_OVERHEAD * batch.lines.length);
        yield { seq: seq++, ...batch };
      }
    } finally {
      ac.abort();
      for (const s of sources) s.destroy();
      close();
    }
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
