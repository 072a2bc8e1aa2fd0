import { abortable } from '../core/async.ts';

export interface AcquireOptions {
  signal?: AbortSignal | undefined;
  /**
   * Background work (the fleet monitor's samples): it waits while any other request waits, and leaves one slot
   * free for other requests (when the limit allows more than one), so a user's call never queues behind it.
   */
  background?: boolean | undefined;
}

/**
 * A counting semaphore for SSH session channels (exec, shell, sftp, dial-stdio), so a server with a low
 * `MaxSessions` still works: requests queue instead of failing. The limit can shrink when the server
 * reveals a lower one than assumed.
 */
export class ChannelLimiter {
  private active = 0;
  private backgroundActive = 0;
  private readonly waiting: { background: (() => void)[]; other: (() => void)[] } = { background: [], other: [] };
  private limit: number;

  constructor(limit: number) {
    this.limit = Math.max(1, limit);
  }

  get inUse(): number {
    return this.active;
  }

  get capacity(): number {
    return this.limit;
  }

  get queued(): number {
    return this.waiting.background.length + this.waiting.other.length;
  }

  /** The server refused a channel while `openNow` others were open: that is its real limit. */
  learnLimit(openNow: number): void {
    this.limit = Math.max(1, Math.min(this.limit, openNow));
  }

  private canStart(background: boolean): boolean {
    if (this.active >= this.limit) return false;
    return !background || (this.waiting.other.length === 0 && (this.limit === 1 || this.backgroundActive < this.limit - 1));
  }

  private take(background: boolean): void {
    this.active++;
    if (background) this.backgroundActive++;
  }

  async acquire(signalOrOpts?: AbortSignal | AcquireOptions): Promise<() => void> {
    const opts: AcquireOptions = signalOrOpts instanceof AbortSignal ? { signal: signalOrOpts } : (signalOrOpts ?? {});
    const background = opts.background ?? false;
    opts.signal?.throwIfAborted();
    if (this.canStart(background)) {
      this.take(background);
    } else {
      // Woken only by `pump`, which has already counted us in.
      const queue = background ? this.waiting.background : this.waiting.other;
      await abortable<void>(opts.signal, (wake) => {
        const w = () => wake();
        queue.push(w);
        return () => {
          const i = queue.indexOf(w);
          if (i >= 0) queue.splice(i, 1);
        };
      });
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.active--;
      if (background) this.backgroundActive--;
      this.pump();
    };
  }

  /** Hands free slots to waiters: other requests first, then background ones. */
  private pump(): void {
    for (;;) {
      if (this.waiting.other.length && this.canStart(false)) {
        this.take(false);
        this.waiting.other.shift()!();
      } else if (this.waiting.background.length && this.canStart(true)) {
        this.take(true);
        this.waiting.background.shift()!();
      } else return;
    }
  }
}
