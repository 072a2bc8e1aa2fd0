import type { Readable } from 'node:stream';
import { Notifier, sleep } from '../core/async.ts';
import { AppError, errorMessage } from '../core/errors.ts';
import type { MergeSource } from '../docker/log-merge.ts';
import type { LogsContainer } from '../docker/logs.ts';
import { LogStreamParser, type ParsedLine } from '../docker/log-parse.ts';
import { QueuedLines, readAhead, watchStream, type SourceLine } from '../docker/log-source.ts';

/** Index of the feed's own source: its lines are state changes, taken out before a batch is sent. */
export const CONTROL = -1;
/** Lines parsed ahead of the consumer, over all tasks: beyond it the service's stream is not read. */
const QUEUE_LINES = 8192;
const TASK_ATTR = 'com.docker.swarm.task.id';
const NODE_ATTR = 'com.docker.swarm.node.id';

/** A task as a source of the merge: `name` is `<app>.<slot>@<node>`. */
export interface TaskInfo extends LogsContainer {
  index: number;
  node: string | null;
  slot: number | null;
  /** Whether the manager listed the task when it was named (a task started since is named again). */
  known: boolean;
}

export interface StreamStatus {
  state: 'live' | 'reconnecting';
  errorCode: string | null;
  error: string | null;
  retryAt: number | null;
}

export interface FeedOptions {
  signal: AbortSignal;
  /** Opens the service's log stream: `resumeFrom` is the newest line's time after a loss (null: none seen). */
  open: (resumeFrom: number | null, attempt: number) => Promise<{ stream: Readable; tty: boolean }>;
  info: (taskId: string, nodeId: string | null) => Omit<TaskInfo, 'index'>;
  /** The tasks the manager lists as meant to run: they get their sources (and names) before their first line. */
  initial: () => string[];
  delay: (attempt: number) => number;
  permanent: (e: unknown) => boolean;
}

/** Splits `k=v,k=v text` (the `details` attributes, URL-encoded by Docker) into the task, the node and the text. */
export function splitDetails(text: string): { task: string | null; node: string | null; text: string } {
  const sp = text.indexOf(' ');
  const head = sp < 0 ? text : text.slice(0, sp);
  if (!head.includes(`${TASK_ATTR}=`)) return { task: null, node: null, text };
  let task: string | null = null;
  let node: string | null = null;
  for (const pair of head.split(',')) {
    const eq = pair.indexOf('=');
    if (eq < 0) continue;
    const key = pair.slice(0, eq);
    if (key === TASK_ATTR) task = decode(pair.slice(eq + 1));
    else if (key === NODE_ATTR) node = decode(pair.slice(eq + 1));
  }
  return { task, node, text: sp < 0 ? '' : text.slice(sp + 1) };
}

function decode(v: string): string {
  try {
    return decodeURIComponent(v.replace(/\+/g, ' '));
  } catch {
    return v;
  }
}

/** One task's lines, queued by the feed as they are parsed from the service's stream. */
class TaskSource extends QueuedLines implements MergeSource {
  readonly index: number;
  info: TaskInfo;
  endReported = false;
  protected readonly feed: ServiceLogFeed;

  constructor(info: TaskInfo, feed: ServiceLogFeed) {
    super();
    this.index = info.index;
    this.info = info;
    this.feed = feed;
  }

  get ended(): boolean {
    return this.feed.ended;
  }

  get changed(): Notifier {
    return this.feed.changed;
  }

  override take(): SourceLine {
    this.feed.queued--;
    return super.take();
  }

  fill(now: number): void {
    this.feed.pump();
    this.settle(now);
  }
}

/** The feed's state changes as lines of a source that never holds the merge back. */
class ControlSource extends TaskSource {
  override fill(): void {
    this.feed.pump();
    this.emptySince = null;
  }
}

/**
 * A cluster app's service log stream as one merge source per task, pulled like a container's LogSource (nothing
 * is read beyond QUEUE_LINES parsed lines). When the stream fails or ends, the feed reconnects
 * (with `delay` between attempts) and drops the lines it already delivered, per task by time; each change of
 * state is a CONTROL line. NOT_FOUND (the app was removed) ends it cleanly; another permanent error ends it with
 * `error`.
 */
export class ServiceLogFeed {
  readonly changed = new Notifier();
  readonly sources: MergeSource[] = [];
  ended = false;
  error: Error | null = null;
  status: StreamStatus = { state: 'live', errorCode: null, error: null, retryAt: null };
  /** Lines parsed and not yet taken. */
  queued = 0;
  /** Bumps when a task is added or renamed (the consumer sends the names again). */
  namesVersion = 0;
  /** A task the manager did not list when it was named has lines (name it again). */
  unnamed = false;
  private readonly opts: FeedOptions;
  private readonly control: TaskSource;
  private readonly byId = new Map<string, TaskSource>();
  private readonly order: TaskSource[] = [];
  private stream: Readable | null = null;
  private parser: LogStreamParser | null = null;
  private destroyed = false;
  private pumping = false;
  private readonly lastT = new Map<string, number>();
  private resumeMarks = new Map<string, number>();
  private newest: number | null = null;

  constructor(opts: FeedOptions) {
    this.opts = opts;
    this.control = new ControlSource({ index: CONTROL, id: '', name: '', tty: false, node: null, slot: null, known: true }, this);
    this.sources.push(this.control);
  }

  /** Opens the stream the first time; a failure here is the caller's (nothing was shown yet). */
  async start(): Promise<void> {
    const opened = await this.opts.open(null, 0);
    for (const id of this.opts.initial()) this.sourceFor(id, null);
    this.attach(opened.stream, opened.tty);
  }

  tasks(): TaskInfo[] {
    return this.order.map((s) => s.info);
  }

  /** Names every task again (after the manager's task list was read again). */
  renamed(): void {
    for (const s of this.order) s.info = { ...this.opts.info(s.info.id, null), index: s.index };
    this.unnamed = false;
    this.namesVersion++;
  }

  /** Parses what the stream already holds, up to the queue bound. Never waits. */
  pump(): void {
    if (this.pumping) return;
    this.pumping = true;
    try {
      const { stream, parser } = this;
      if (stream && parser) readAhead(stream, parser, () => this.stream === stream && this.queued < QUEUE_LINES);
    } finally {
      this.pumping = false;
    }
  }

  destroy(): void {
    this.destroyed = true;
    this.stream?.destroy();
    this.changed.notify();
  }

  private sourceFor(taskId: string, nodeId: string | null): TaskSource {
    let src = this.byId.get(taskId);
    if (!src) {
      const info = { ...this.opts.info(taskId, nodeId), index: this.order.length };
      if (!info.known) this.unnamed = true;
      src = new TaskSource(info, this);
      this.byId.set(taskId, src);
      this.order.push(src);
      this.sources.push(src);
      this.namesVersion++;
    }
    return src;
  }

  private route(line: ParsedLine): void {
    const { task, node, text } = splitDetails(line.text);
    const id = task ?? '';
    const mark = this.resumeMarks.get(id);
    if (mark !== undefined && line.t !== null && line.t <= mark) return; // delivered before the reconnect
    if (line.t !== null) {
      if ((this.lastT.get(id) ?? -Infinity) < line.t) this.lastT.set(id, line.t);
      if (this.newest === null || line.t > this.newest) this.newest = line.t;
    }
    this.sourceFor(id, node).push({ s: line.s, t: line.t, text });
    this.queued++;
  }

  private attach(stream: Readable, tty: boolean): void {
    this.stream = stream;
    const parser = new LogStreamParser({ multiplexed: !tty, timestamps: true, emit: (l) => this.route(l) });
    this.parser = parser;
    watchStream(
      stream,
      () => this.changed.notify(),
      (error, flush) => {
        if (flush) parser.end();
        if (this.stream === stream) {
          this.stream = null;
          this.parser = null;
        }
        this.lost(error ?? new AppError('CONNECT_FAILED', 'the manager ended the log stream'));
      },
    );
  }

  private lost(cause: unknown): void {
    if (this.destroyed || this.opts.signal.aborted) return this.end(null);
    void this.reconnect(cause);
  }

  private async reconnect(cause: unknown): Promise<void> {
    // Bounded only by the caller's signal, like every live stream; each attempt waits its backoff delay first.
    for (let attempt = 1; attempt < 1_000_000 && !this.destroyed && !this.opts.signal.aborted; attempt++) {
      const delay = this.opts.delay(attempt);
      this.setStatus({ state: 'reconnecting', errorCode: cause instanceof AppError ? cause.code : 'CONNECT_FAILED', error: errorMessage(cause), retryAt: Date.now() + delay });
      if (!(await sleep(delay, this.opts.signal))) return this.end(null);
      try {
        const opened = await this.opts.open(this.newest, attempt);
        if (this.destroyed) {
          opened.stream.destroy();
          return;
        }
        this.resumeMarks = new Map(this.lastT);
        this.attach(opened.stream, opened.tty);
        this.setStatus({ state: 'live', errorCode: null, error: null, retryAt: null });
        return;
      } catch (e) {
        if (this.opts.permanent(e)) return this.end(e instanceof AppError && e.code === 'NOT_FOUND' ? null : e);
        cause = e;
      }
    }
  }

  private setStatus(status: StreamStatus): void {
    this.status = status;
    this.control.push({ s: 2, t: null, text: status.state });
    this.queued++;
    this.changed.notify();
  }

  private end(error: unknown): void {
    if (error) this.error = error instanceof Error ? error : new Error(String(error));
    this.ended = true;
    this.changed.notify();
  }
}
