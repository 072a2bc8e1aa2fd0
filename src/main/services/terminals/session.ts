import { randomUUID } from 'node:crypto';
import { StringDecoder } from 'node:string_decoder';
import { Notifier } from '../core/async.ts';

/** What a terminal runs on: an SSH pty channel or a Docker exec stream. */
export interface TerminalBackend {
  write(data: string): void;
  resize(cols: number, rows: number): Promise<void>;
  pause(): void;
  resume(): void;
  /** Hangs up: the process gets SIGHUP / EOF. */
  close(): void;
  /** Called once per chunk of output (stdout and stderr interleaved, as a pty does). */
  onData(cb: (chunk: Buffer) => void): void;
  /** Called once when the process is gone or the link dropped. */
  onEnd(cb: (end: TerminalEnd) => void): void;
}

export interface TerminalEnd {
  exitCode: number | null;
  exitSignal: string | null;
  reason: string;
}

export interface SessionLimits {
  /** Output kept for replay (chars). */
  scrollback: number;
  /** Unread output (chars) beyond which the backend is paused (SSH/TCP flow control up to the process). */
  highWater: number;
  /** Largest `data` of one output event (chars). */
  maxEvent: number;
}

const DEFAULT_LIMITS: SessionLimits = { scrollback: 512 * 1024, highWater: 1024 * 1024, maxEvent: 256 * 1024 };

export type SessionEvent = { type: 'attached'; reader: string } | { type: 'output'; from: number; to: number; data: string } | ({ type: 'exit' } & TerminalEnd);

interface Reader {
  id: string;
  /** Sent up to here. */
  cursor: number;
  /** Acknowledged (rendered) up to here: only for readers with a window. */
  acked: number;
  window: number | null;
}

/**
 * One terminal: output is kept in a bounded buffer addressed by offsets, so any number of clients can
 * attach, detach and reattach without loss (within the scrollback). Memory is bounded by flow control:
 * when the slowest reader (or, with none attached, the last one) lags more than `highWater`, the backend
 * is paused, which stops the SSH window and in the end blocks the remote process's writes, like a real tty.
 */
export class TerminalSession {
  readonly backend: TerminalBackend;
  readonly limits: SessionLimits;
  private readonly decoder = new StringDecoder('utf8');
  private chunks: string[] = [];
  /** Offset of chunks[0]. */
  private start = 0;
  /** Offset after the last char received. */
  private total = 0;
  private readonly readers = new Set<Reader>();
  /** Where the last reader stopped, for flow control while nobody is attached. */
  private lastRead = 0;
  private paused = false;
  /** New output, the end, an ack, a reader coming or going: readers re-check what they can send. */
  private readonly changed = new Notifier();
  end: TerminalEnd | null = null;
  cols: number;
  rows: number;

  constructor(backend: TerminalBackend, size: { cols: number; rows: number }, limits: Partial<SessionLimits> = {}) {
    this.backend = backend;
    this.limits = { ...DEFAULT_LIMITS, ...limits };
    this.cols = size.cols;
    this.rows = size.rows;
    backend.onData((chunk) => this.push(this.decoder.write(chunk)));
    backend.onEnd((end) => {
      if (this.end) return;
      const tail = this.decoder.end();
      if (tail) this.push(tail);
      this.end = end;
      this.changed.notify();
    });
  }

  get attached(): number {
    return this.readers.size;
  }

  /** Offsets and sizes, for tests and diagnostics. */
  stats(): { start: number; total: number; buffered: number; unread: number; paused: boolean } {
    return { start: this.start, total: this.total, buffered: this.total - this.start, unread: this.total - this.slowest(), paused: this.paused };
  }

  private push(s: string): void {
    if (!s) return;
    this.chunks.push(s);
    this.total += s.length;
    this.trim();
    this.flow();
    this.changed.notify();
  }

  private slowest(): number {
    if (this.readers.size === 0) return this.lastRead;
    let min = Infinity;
    // A reader with a window counts as far as it acknowledged: output it has not rendered is not "read".
    for (const r of this.readers) min = Math.min(min, r.window === null ? r.cursor : r.acked);
    return min;
  }

  /** Drops whole chunks older than the scrollback, but never output a reader (or the next one) has not seen. */
  private trim(): void {
    const keepFrom = Math.min(this.total - this.limits.scrollback, this.slowest());
    while (this.chunks.length > 1 && this.start + this.chunks[0]!.length <= keepFrom) {
      this.start += this.chunks.shift()!.length;
    }
  }

  private flow(): void {
    const unread = this.total - this.slowest();
    if (!this.paused && unread > this.limits.highWater) {
      this.paused = true;
      this.backend.pause();
    } else if (this.paused && unread <= this.limits.highWater / 2) {
      this.paused = false;
      this.backend.resume();
    }
  }

  /** Output from `from` on, at most `max` chars; `from` is moved up to the oldest output still kept. */
  private read(from: number, max: number): { from: number; to: number; data: string } {
    const begin = Math.max(from, this.start);
    let offset = this.start;
    let data = '';
    for (const c of this.chunks) {
      const end = offset + c.length;
      if (end > begin) data += c.slice(Math.max(0, begin - offset), Math.max(0, begin - offset) + (max - data.length));
      offset = end;
      if (data.length >= max) break;
    }
    return { from: begin, to: begin + data.length, data };
  }

  /**
   * Ack-based flow control: the client acknowledges output once its terminal has rendered it; a reader
   * with a `window` is sent nothing more while `window` characters are unacknowledged.
   */
  ack(readerId: string, upTo: number): boolean {
    for (const r of this.readers) {
      if (r.id !== readerId) continue;
      r.acked = Math.max(r.acked, Math.min(upTo, r.cursor));
      this.trim();
      this.flow();
      this.changed.notify();
      return true;
    }
    return false;
  }

  /** Follows the output from `since`, then yields the exit; ends early when `signal` aborts. */
  async *follow(since: number, signal?: AbortSignal, window: number | null = null): AsyncGenerator<SessionEvent> {
    const start = Math.min(Math.max(0, since), this.total);
    const reader: Reader = { id: randomUUID(), cursor: start, acked: start, window };
    this.readers.add(reader);
    if (window !== null) yield { type: 'attached', reader: reader.id };
    this.changed.notify();
    try {
      while (!signal?.aborted) {
        const credit = reader.window === null ? Infinity : reader.window - (reader.cursor - reader.acked);
        if (reader.cursor < this.total && credit > 0) {
          const chunk = this.read(reader.cursor, Math.min(this.limits.maxEvent, credit));
          reader.cursor = chunk.to;
          yield { type: 'output', ...chunk };
          this.trim();
          this.flow();
          continue;
        }
        if (this.end && reader.cursor >= this.total) {
          yield { type: 'exit', ...this.end };
          return;
        }
        await this.changed.wait({ signal });
      }
    } finally {
      this.readers.delete(reader);
      this.lastRead = Math.max(this.lastRead, reader.window === null ? reader.cursor : reader.acked);
      this.flow();
      this.changed.notify();
    }
  }

  write(data: string): void {
    if (this.end) return;
    this.backend.write(data);
  }

  async resize(cols: number, rows: number): Promise<void> {
    if (this.end || (cols === this.cols && rows === this.rows)) return;
    this.cols = cols;
    this.rows = rows;
    await this.backend.resize(cols, rows);
  }

  close(): void {
    this.backend.close();
  }
}
