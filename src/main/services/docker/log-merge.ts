import { waitAny, type Notifier } from '../core/async.ts';
import type { SourceLine } from './log-source.ts';

/** What the merger reads: a container's LogSource, or one task of a cluster app's service log stream. */
export interface MergeSource {
  readonly index: number;
  readonly ended: boolean;
  endReported: boolean;
  /** When it last ran dry while still open (null: has lines, ended, or never holds the merge back). */
  readonly emptySince: number | null;
  readonly changed: Notifier;
  readonly size: number;
  /** Takes in what has arrived, without waiting. */
  fill(now: number): void;
  peek(): SourceLine | undefined;
  take(): SourceLine;
}

/** One line on the wire: [container index, 0 stdout | 1 stderr | 2 restart marker, time in ms or null, text]. */
export type WireLine = [number, 0 | 1 | 2, number | null, string];

export interface LogBatch {
  lines: WireLine[];
  /** Container indexes whose stream ended in this batch (not following, or the container stopped). */
  ended: number[];
  /** Bytes of log text in this batch (what flow control counts). */
  bytes: number;
}

export interface MergeOptions {
  /** A batch is sent once it holds this many bytes of text… */
  maxBatchBytes: number;
  /** …or this long after its first line, whichever comes first. */
  maxBatchDelayMs: number;
  /** With several containers, how long to wait for one that has nothing yet before passing it (ordering by time). */
  mergeWaitMs: number;
  /** Whether lines carry their timestamp on the wire. */
  timestamps: boolean;
}

/**
 * Interleaves several sources by timestamp into batches. A source with nothing buffered holds the merge back
 * for at most `mergeWaitMs` (its next line might be older than what the others have), then it is passed over
 * until it has lines again: a quiet container does not stall a chatty one.
 */
export class LogMerger {
  private readonly sources: readonly MergeSource[];
  private readonly opts: MergeOptions;
  private readonly signal: AbortSignal;

  constructor(sources: readonly MergeSource[], opts: MergeOptions, signal: AbortSignal) {
    this.sources = sources;
    this.opts = opts;
    this.signal = signal;
  }

  /** The next batch, or null when every source has ended and everything was delivered. Waits for data. */
  async next(): Promise<LogBatch | null> {
    const signal = this.signal;
    const lines: WireLine[] = [];
    const ended: number[] = [];
    let bytes = 0;
    let deadline: number | null = null;
    const multi = this.sources.length > 1;
    // Bounded: each round either takes lines, reports an end, or waits (which needs time or data to pass).
    for (let round = 0; round < 1_000_000 && !signal.aborted; round++) {
      const now = Date.now();
      const ready: MergeSource[] = [];
      let blockedUntil = Infinity;
      for (const src of this.sources) {
        src.fill(now);
        if (src.ended && src.size === 0 && !src.endReported) {
          src.endReported = true;
          ended.push(src.index);
        }
        if (src.size > 0) ready.push(src);
        else if (multi && !src.ended && src.emptySince !== null && now - src.emptySince < this.opts.mergeWaitMs) {
          blockedUntil = Math.min(blockedUntil, src.emptySince + this.opts.mergeWaitMs);
        }
      }
      if (ready.length > 0 && blockedUntil === Infinity) {
        bytes += this.take(ready, lines, this.opts.maxBatchBytes - bytes);
        deadline ??= now + this.opts.maxBatchDelayMs;
        if (bytes >= this.opts.maxBatchBytes) break;
        continue;
      }
      if (this.sources.every((s) => s.endReported)) break;
      if (lines.length > 0 || ended.length > 0) {
        deadline ??= now;
        if (now >= deadline) break;
      }
      // Nothing (more) to take now: wait for data, a blocked source's grace period, or the batch deadline.
      const until = Math.min(blockedUntil, deadline ?? Infinity);
      await waitAny(
        this.sources.filter((src) => !src.ended).map((src) => src.changed),
        { signal, timeoutMs: until - now },
      );
    }
    if (lines.length === 0 && ended.length === 0) return null;
    return { lines, ended, bytes };
  }

  /** Moves lines into the batch, oldest first across sources. Returns the bytes taken. */
  private take(ready: MergeSource[], out: WireLine[], budget: number): number {
    let taken = 0;
    const ts = this.opts.timestamps;
    if (ready.length === 1 && this.sources.length === 1) {
      const src = ready[0]!;
      while (src.size > 0 && taken < budget) {
        const l = src.take();
        out.push([src.index, l.s, ts ? l.t : null, l.text]);
        taken += l.text.length + 1;
      }
      return taken;
    }
    // k-way merge while every ready source still has lines (an empty one may get older lines next).
    while (taken < budget) {
      let best: MergeSource | null = null;
      let bestT = Infinity;
      for (const src of ready) {
        const head = src.peek();
        if (!head) return taken;
        const t = head.t ?? -Infinity;
        if (best === null || t < bestT) {
          best = src;
          bestT = t;
        }
      }
      if (!best) return taken;
      const l = best.take();
      out.push([best.index, l.s, ts ? l.t : null, l.text]);
      taken += l.text.length + 1;
    }
    return taken;
  }
}
