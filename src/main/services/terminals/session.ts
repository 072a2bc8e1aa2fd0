import { EventEmitter } from 'node:events';
import { StringDecoder } from 'node:string_decoder';

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

export const DEFAULT_LIMITS: SessionLimits = { scrollback: 512 * 1024, highWater: 1024 * 1024, maxEvent: 256 * 1024 };

export type SessionEvent = { type: 'output'; from: number; to: number; data: string } | ({ type: 'exit' } & TerminalEnd);

/**
 * One terminal: output is kept in a bounded buffer addressed by offsets, so any number of clients can
 * attach, detach and reattach without loss (within the scrollback). Memory is bounded by flow control:
 * when the slowest reader (or, with none attached, the last one) lags more than `highWater`, the backend
 * is paused, which stops the SSH window and in the end blocks the remote process's writes, like a real tty.
 */
export class TerminalSession extends EventEmitter<{ change: [] }> {
  readonly backend: TerminalBackend;
  readonly limits: SessionLimits;
  private readonly decoder = new StringDecoder('utf8');
  private chunks: string[] = [];
  /** Offset of chunks[0]. */
  private start = 0;
  /** Offset after the last char received. */
  private total = 0;
  private readonly readers = new Set<{ cursor: number }>();
  /** Where the last reader stopped, for flow control while nobody is attached. */
  private lastRead = 0;
  private paused = false;
  end: TerminalEnd | null = null;
  cols: number;
  rows: number;

  constructor(backend: TerminalBackend, size: { cols: number; rows: number }, limits: Partial<SessionLimits> = {}) {
    super();
    this.setMaxListeners(0);
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
      this.emit('change');
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
    this.emit('change');
  }

  private slowest(): number {
    if (this.readers.size === 0) return this.lastRead;
    let min = Infinity;
    for (const r of this.readers) min = Math.min(min, r.cursor);
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

  /** Follows the output from `since`, then yields the exit; ends early when `signal` aborts. */
  async *follow(since: number, signal?: AbortSignal): AsyncGenerator<SessionEvent> {
    const reader = { cursor: Math.min(Math.max(0, since), this.total) };
    this.readers.add(reader);
    this.emit('change');
    let wake: (() => void) | null = null;
    const onChange = () => wake?.();
    this.on('change', onChange);
    signal?.addEventListener('abort', onChange);
    try {
      while (!signal?.aborted) {
        if (reader.cursor < this.total) {
          const chunk = this.read(reader.cursor, this.limits.maxEvent);
          reader.cursor = chunk.to;
          yield { type: 'output', ...chunk };
          this.trim();
          this.flow();
          continue;
        }
        if (this.end) {
          yield { type: 'exit', ...this.end };
          return;
        }
        await new Promise<void>((resolve) => (wake = resolve));
        wake = null;
      }
    } finally {
      this.off('change', onChange);
      signal?.removeEventListener('abort', onChange);
      this.readers.delete(reader);
      this.lastRead = Math.max(this.lastRead, reader.cursor);
      this.flow();
      this.emit('change');
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
