import { abortable } from '../core/async.ts';

/**
 * A counting semaphore for SSH session channels (exec, shell, sftp, dial-stdio), so a server with a low
 * `MaxSessions` still works: requests queue instead of failing. The limit can shrink when the server
 * reveals a lower one than assumed.
 */
export class ChannelLimiter {
  private active = 0;
  private readonly waiting: (() => void)[] = [];
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
    return this.waiting.length;
  }

  /** The server refused a channel while `openNow` others were open: that is its real limit. */
  learnLimit(openNow: number): void {
    this.limit = Math.max(1, Math.min(this.limit, openNow));
  }

  async acquire(signal?: AbortSignal): Promise<() => void> {
    signal?.throwIfAborted();
    if (this.active < this.limit) {
      this.active++;
    } else {
      // Woken only by a release that hands its slot over: `active` already counts us.
      await abortable<void>(signal, (wake) => {
        const w = () => wake();
        this.waiting.push(w);
        return () => {
          const i = this.waiting.indexOf(w);
          if (i >= 0) this.waiting.splice(i, 1);
        };
      });
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.release();
    };
  }

  private release(): void {
    const next = this.active <= this.limit ? this.waiting.shift() : undefined;
    if (next) next();
    else this.active--;
  }
}
