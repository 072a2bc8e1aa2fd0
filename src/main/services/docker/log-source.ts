import type { Readable } from 'node:stream';
import { Notifier } from '../core/async.ts';
import { LogStreamParser, type ParsedLine } from './log-parse.ts';

/** Lines a source parses ahead of the consumer at most (plus one chunk's worth): the source stream waits beyond. */
const QUEUE_LINES = 4096;

/** Stream tag of the marker line a source adds when it re-attaches to a restarted container. */
export const RESTARTED = 2;
export type SourceLine = Omit<ParsedLine, 's'> & { s: ParsedLine['s'] | typeof RESTARTED };

/**
 * Lines parsed from a log stream and not yet taken, in order: the queue every merge source serves from (a
 * container's LogSource, a cluster app's task). `settle` after each fill notes when it ran dry while still open.
 */
export abstract class QueuedLines {
  private queue: SourceLine[] = [];
  private head = 0;
  /** When the queue last ran dry while the stream was still open (for the interleaving wait). */
  emptySince: number | null = null;
  abstract readonly ended: boolean;

  get size(): number {
    return this.queue.length - this.head;
  }

  push(line: SourceLine): void {
    this.queue.push(line);
  }

  peek(): SourceLine | undefined {
    return this.queue[this.head];
  }

  take(): SourceLine {
    const line = this.queue[this.head++]!;
    if (this.head === this.queue.length) {
      this.queue = [];
      this.head = 0;
    }
    return line;
  }

  protected settle(now: number): void {
    if (this.size > 0 || this.ended) this.emptySince = null;
    else this.emptySince ??= now;
  }
}

/** Parses what `stream` already holds while `more()` allows (the queue bound). Never waits. */
export function readAhead(stream: Readable, parser: LogStreamParser, more: () => boolean): void {
  while (more()) {
    const chunk = stream.read() as Buffer | null;
    if (chunk === null) break;
    parser.push(chunk);
  }
}

/**
 * Calls `readable` on each 'readable' of a log stream, and `finish` once, on its first end, error or close
 * (`flush`: it ended cleanly, so the parser's last partial line is complete).
 */
export function watchStream(stream: Readable, readable: () => void, finish: (error: Error | null, flush: boolean) => void): void {
  let finished = false;
  const once = (error: Error | null, flush: boolean) => {
    if (finished) return;
    finished = true;
    finish(error, flush);
  };
  stream.on('readable', readable);
  stream.once('end', () => once(null, true));
  stream.once('error', (e: Error) => once(e, false));
  stream.once('close', () => once(null, false));
}

/** The container's next run after its stream ended (its log stream and a marker), or null once it is gone. */
export type Reopen = () => Promise<{ stream: Readable; at: number; text: string } | null>;

/**
 * One container's log stream, read only when the consumer wants lines (pull): while the queue is full nothing
 * is read, so Node's stream buffer fills, the HTTP response pauses and ssh2 stops opening the channel's window.
 * With `reopen`, a stream that ends cleanly (the container stopped) is not the end: the source waits for the
 * container's next run, queues a RESTARTED marker line and reads the new stream.
 */
export class LogSource extends QueuedLines {
  readonly index: number;
  private stream: Readable;
  private readonly parser: LogStreamParser;
  private readonly reopen: Reopen | undefined;
  private destroyed = false;
  ended = false;
  endReported = false;
  error: Error | null = null;
  /** Notified when the stream has something new: data, end or error. */
  readonly changed = new Notifier();

  constructor(index: number, stream: Readable, opts: { multiplexed: boolean; timestamps: boolean; reopen?: Reopen }) {
    super();
    this.index = index;
    this.stream = stream;
    this.reopen = opts.reopen;
    this.parser = new LogStreamParser({ multiplexed: opts.multiplexed, timestamps: opts.timestamps, emit: (l) => this.push(l) });
    this.attach(stream);
  }

  private attach(stream: Readable): void {
    this.stream = stream;
    watchStream(
      stream,
      () => this.notify(),
      (error, flush) => {
        if (flush) this.parser.end();
        if (error) this.error = error;
        if (!error && this.reopen && !this.destroyed) void this.resume(this.reopen);
        else this.ended = true;
        this.notify();
      },
    );
  }

  private async resume(reopen: Reopen): Promise<void> {
    try {
      const next = await reopen();
      if (!next || this.destroyed) {
        next?.stream.destroy();
        this.ended = true;
      } else {
        this.push({ s: RESTARTED, t: next.at, text: next.text });
        this.attach(next.stream);
      }
    } catch (e) {
      this.error = e instanceof Error ? e : new Error(String(e));
      this.ended = true;
    }
    this.notify();
  }

  get bytes(): number {
    return this.parser.bytes;
  }

  /** Parses what the stream already holds, up to the queue bound. Never waits. */
  fill(now: number): void {
    readAhead(this.stream, this.parser, () => !this.ended && this.size < QUEUE_LINES);
    this.settle(now);
  }

  private notify(): void {
    this.changed.notify();
  }

  destroy(): void {
    this.destroyed = true;
    this.stream.destroy();
    this.notify();
  }
}
