import type { Readable } from 'node:stream';
import { Notifier } from '../core/async.ts';
import { LogStreamParser, type ParsedLine } from './log-parse.ts';

/** Lines a source parses ahead of the consumer at most (plus one chunk's worth): the source stream waits beyond. */
const QUEUE_LINES = 4096;

/**
 * One container's log stream, read only when the consumer wants lines (pull): while the queue is full nothing
 * is read, so Node's stream buffer fills, the HTTP response pauses and ssh2 stops opening the channel's window.
 */
export class LogSource {
  readonly index: number;
  private readonly stream: Readable;
  private readonly parser: LogStreamParser;
  private queue: ParsedLine[] = [];
  private head = 0;
  ended = false;
  endReported = false;
  error: Error | null = null;
  /** When the queue last ran dry while the stream was still open (for the interleaving wait). */
  emptySince: number | null = null;
  /** Notified when the stream has something new: data, end or error. */
  readonly changed = new Notifier();

  constructor(index: number, stream: Readable, opts: { multiplexed: boolean; timestamps: boolean }) {
    this.index = index;
    this.stream = stream;
    this.parser = new LogStreamParser({ ...opts, emit: (l) => this.queue.push(l) });
    stream.on('readable', () => this.notify());
    stream.once('end', () => {
      this.parser.end();
      this.ended = true;
      this.notify();
    });
    stream.once('error', (e) => {
      this.error = e;
      this.ended = true;
      this.notify();
    });
    stream.once('close', () => {
      this.ended = true;
      this.notify();
    });
  }

  get bytes(): number {
    return this.parser.bytes;
  }

  get size(): number {
    return this.queue.length - this.head;
  }

  peek(): ParsedLine | undefined {
    return this.queue[this.head];
  }

  take(): ParsedLine {
    const line = this.queue[this.head++]!;
    if (this.head === this.queue.length) {
      this.queue = [];
      this.head = 0;
    }
    return line;
  }

  /** Parses what the stream already holds, up to the queue bound. Never waits. */
  fill(now: number): void {
    while (!this.ended && this.size < QUEUE_LINES) {
      const chunk = this.stream.read() as Buffer | null;
      if (chunk === null) break;
      this.parser.push(chunk);
    }
    if (this.size > 0 || this.ended) this.emptySince = null;
    else this.emptySince ??= now;
  }

  private notify(): void {
    this.changed.notify();
  }

  destroy(): void {
    this.stream.destroy();
    this.notify();
  }
}
