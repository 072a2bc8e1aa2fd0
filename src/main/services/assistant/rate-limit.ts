import { sleep } from './retry.ts';

/**
 * A sliding one-minute window per provider: at most `perMinute` requests start in any 60 s. `acquire` waits for a
 * free slot (abortable); it refuses to wait longer than `maxWaitMs` so a saturated provider hands over to the next.
 */
export class RateLimiter {
  private readonly starts = new Map<string, number[]>();
  private readonly now: () => number;
  constructor(now: () => number = Date.now) {
    this.now = now;
  }

  /** Milliseconds until a request may start (0 = now). */
  waitFor(key: string, perMinute: number): number {
    const cutoff = this.now() - 60_000;
    const list = (this.starts.get(key) ?? []).filter((t) => t > cutoff);
    this.starts.set(key, list);
    if (list.length < perMinute) return 0;
    return list[list.length - perMinute]! - cutoff;
  }

  async acquire(key: string, perMinute: number, maxWaitMs: number, signal: AbortSignal): Promise<void> {
    const wait = this.waitFor(key, perMinute);
    if (wait > maxWaitMs) throw new RateLimitedError(key, wait);
    if (wait > 0) await sleep(wait, signal);
    this.starts.get(key)!.push(this.now());
  }
}

export class RateLimitedError extends Error {
  readonly waitMs: number;
  constructor(key: string, waitMs: number) {
    super(`${key}: the request limit per minute set in the assistant settings is reached (next slot in ${Math.ceil(waitMs / 1000)} s)`);
    this.name = 'RateLimitedError';
    this.waitMs = waitMs;
  }
}
