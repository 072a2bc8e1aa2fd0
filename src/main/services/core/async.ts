import type { EventEmitter } from 'node:events';
import { AppError } from './errors.ts';

const ABORT_NAMES = new Set(['AbortError', 'APIUserAbortError']);

/** A cancellation, whoever raised it: Node/DOM `AbortError` (also `events.on`'s) or an SDK's own abort error. */
export function isAbort(e: unknown): boolean {
  return !!e && typeof e === 'object' && ABORT_NAMES.has((e as Error).name);
}

function formatDuration(ms: number): string {
  return ms >= 1000 ? `${Math.round(ms / 1000)} s` : `${Math.round(ms)} ms`;
}

function timeoutError(what: string, ms: number): AppError {
  return new AppError('TIMEOUT', `${what} did not finish within ${formatDuration(ms)}`);
}

const hasLimit = (ms: number | undefined): ms is number => ms !== undefined && ms > 0 && Number.isFinite(ms);

/**
 * Settles like `work`, or rejects with TIMEOUT naming `what` after `ms` (none when `ms` is 0 or undefined).
 * `what` may instead make the error itself (called once, when the time is up), for a message of its own.
 * Given a function, it receives a signal that aborts on the timeout (reason: that error), so the work can stop
 * instead of running on unobserved.
 */
export async function withTimeout<T>(work: Promise<T> | ((signal: AbortSignal) => Promise<T>), ms: number | undefined, what: string | (() => Error)): Promise<T> {
  const ac = new AbortController();
  const run = typeof work === 'function' ? work(ac.signal) : work;
  if (!hasLimit(ms)) return await run;
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const e = typeof what === 'string' ? timeoutError(what, ms) : what();
      ac.abort(e);
      reject(e);
    }, ms);
  });
  try {
    return await Promise.race([run, expired]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * `promise`'s value if it settles within `ms`, else null; the promise is not cancelled (wait on it again later).
 * For values that are never null.
 */
export async function within<T>(promise: Promise<T>, ms: number): Promise<T | null> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([promise, new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

export interface LinkOptions {
  /** Abort after this long (reason: TIMEOUT naming `what`); `restartTimeout()` re-arms it (an idle watchdog). */
  timeoutMs?: number;
  what?: string;
}

/** A signal that aborts when any parent does, on its timeout, or when its owner calls `abort()` (then it also stops the timer). */
export interface SignalLink {
  readonly signal: AbortSignal;
  /** The timeout fired (as opposed to a parent or the owner aborting). */
  readonly timedOut: boolean;
  restartTimeout(): void;
  abort(reason?: unknown): void;
}

type MaybeSignal = AbortSignal | null | undefined;

/** Derives one signal from several (`AbortSignal.any`), with an optional timeout: one token per call. */
export function linkSignals(...args: [LinkOptions, ...MaybeSignal[]] | MaybeSignal[]): SignalLink {
  const first = args[0];
  const opts: LinkOptions = first && !(first instanceof AbortSignal) ? first : {};
  const parents = (first && !(first instanceof AbortSignal) ? args.slice(1) : args) as MaybeSignal[];
  const own = new AbortController();
  const signal = AbortSignal.any([own.signal, ...parents.filter((s): s is AbortSignal => !!s)]);
  let timer: NodeJS.Timeout | undefined;
  let timedOut = false;
  const arm = () => {
    clearTimeout(timer);
    if (!hasLimit(opts.timeoutMs) || signal.aborted) return;
    timer = setTimeout(() => {
      timedOut = true;
      own.abort(timeoutError(opts.what ?? 'the operation', opts.timeoutMs!));
    }, opts.timeoutMs);
  };
  arm();
  signal.addEventListener('abort', () => clearTimeout(timer), { once: true });
  return {
    signal,
    get timedOut() {
      return timedOut;
    },
    restartTimeout: arm,
    abort(reason?: unknown) {
      clearTimeout(timer);
      own.abort(reason);
    },
  };
}

/**
 * The stream `open(signal)` returns, with a signal linked to `parent` that also aborts when the consumer stops
 * (end, error or `return()`): whatever the source started is stopped with it. `open` runs at once, so a
 * synchronous failure (unknown id) fails the call rather than the first read.
 */
export function linkedStream<T>(parent: MaybeSignal, open: (signal: AbortSignal) => AsyncIterable<T>): AsyncGenerator<T> {
  const link = linkSignals(parent);
  let source: AsyncIterable<T>;
  try {
    source = open(link.signal);
  } catch (e) {
    link.abort();
    throw e;
  }
  return (async function* () {
    try {
      yield* source;
    } finally {
      link.abort();
    }
  })();
}

/**
 * A promise settled by `start(resolve, reject)`, or rejected with the signal's reason if it aborts first.
 * The cleanup `start` returns runs once, whichever happens.
 */
export function abortable<T>(signal: MaybeSignal, start: (resolve: (v: T) => void, reject: (e: unknown) => void) => (() => void) | void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    let cleanup: (() => void) | void = undefined;
    let settled = false;
    const settle = (fn: () => void) => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      cleanup?.();
      fn();
    };
    const onAbort = () => settle(() => reject(signal!.reason));
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      cleanup = start(
        (v) => settle(() => resolve(v)),
        (e) => settle(() => reject(e)),
      );
    } catch (e) {
      settle(() => reject(e));
    }
    if (settled) cleanup?.();
  });
}

/** Waits `ms`; an abort ends the wait early. Resolves true when the whole time passed, false when aborted. */
export function sleep(ms: number, signal?: MaybeSignal): Promise<boolean> {
  return abortable<boolean>(signal, (resolve) => {
    const t = setTimeout(() => resolve(true), ms);
    return () => clearTimeout(t);
  }).catch(() => false);
}

export type WaitResult = 'notified' | 'timeout' | 'aborted';

/**
 * A wake-up call without a stored value: `wait()` resolves at the next `notify()`, after `timeoutMs`, or when
 * `signal` aborts — whichever is first (never rejects). Check the condition, then wait: nothing runs in between.
 */
export class Notifier {
  private readonly waiters = new Set<() => void>();

  get waiting(): number {
    return this.waiters.size;
  }

  notify(): void {
    const woken = [...this.waiters];
    this.waiters.clear();
    for (const w of woken) w();
  }

  wait(opts: { signal?: MaybeSignal; timeoutMs?: number } = {}): Promise<WaitResult> {
    return waitAny([this], opts);
  }

  /** @internal */
  add(w: () => void): () => void {
    this.waiters.add(w);
    return () => this.waiters.delete(w);
  }
}

/** Waits for the first of several notifiers (or the timeout, or the abort). */
export function waitAny(notifiers: readonly Notifier[], opts: { signal?: MaybeSignal; timeoutMs?: number } = {}): Promise<WaitResult> {
  return abortable<WaitResult>(opts.signal, (resolve) => {
    const wake = () => resolve('notified');
    const removers = notifiers.map((n) => n.add(wake));
    const t = opts.timeoutMs !== undefined && Number.isFinite(opts.timeoutMs) ? setTimeout(() => resolve('timeout'), Math.max(0, opts.timeoutMs)) : undefined;
    return () => {
      clearTimeout(t);
      for (const r of removers) r();
    };
  }).catch(() => 'aborted' as const);
}

export interface QueueOptions {
  /** Items held for a slow consumer at most (default 10 000). */
  max?: number;
  /**
   * A push beyond `max`: 'fail' ends the stream with an error naming `what` (default: a consumer that far behind
   * has lost track anyway, and memory stays bounded); 'drop-oldest' discards the oldest item.
   */
  overflow?: 'fail' | 'drop-oldest';
  what?: string;
  /** The consumer's signal: when it aborts the iteration ends (done, not an error) and buffered items are dropped. */
  signal?: MaybeSignal;
  /** Runs once when the queue stops taking items (end, fail, overflow, abort, consumer `return()`): unsubscribe here. */
  onClose?: () => void;
}

/**
 * A push-to-pull bridge: producers `push`, then `end` or `fail`; one consumer iterates. Items pushed before
 * `end`/`fail` are still delivered, then the iteration completes or throws the failure.
 */
export class AsyncQueue<T> implements AsyncIterableIterator<T> {
  private items: T[] = [];
  private head = 0;
  private open = true;
  private error: { e: unknown } | null = null;
  private finished = false;
  private readonly changed = new Notifier();
  private readonly opts: QueueOptions;
  private readonly onAbort = () => this.close(true);

  constructor(opts: QueueOptions = {}) {
    this.opts = opts;
    if (opts.signal?.aborted) this.close(true);
    else opts.signal?.addEventListener('abort', this.onAbort, { once: true });
  }

  get size(): number {
    return this.items.length - this.head;
  }

  /** Whether pushes are still taken. */
  get accepting(): boolean {
    return this.open;
  }

  push(item: T): boolean {
    if (!this.open) return false;
    if (this.size >= (this.opts.max ?? 10_000)) {
      if (this.opts.overflow === 'drop-oldest') this.head++;
      else {
        this.fail(new AppError('INTERNAL', `${this.opts.what ?? 'stream'}: the reader fell more than ${this.opts.max ?? 10_000} items behind`));
        return false;
      }
    }
    this.items.push(item);
    this.changed.notify();
    return true;
  }

  end(): void {
    this.close(false);
  }

  fail(e: unknown): void {
    if (!this.open) return;
    this.error = { e };
    this.close(false);
  }

  private close(dropItems: boolean): void {
    if (dropItems) {
      this.items = [];
      this.head = 0;
      this.error = null;
      this.finished = true;
    }
    this.changed.notify();
    if (!this.open) return;
    this.open = false;
    this.opts.signal?.removeEventListener('abort', this.onAbort);
    this.opts.onClose?.();
  }

  async next(): Promise<IteratorResult<T>> {
    for (;;) {
      if (this.size > 0) {
        const item = this.items[this.head++]!;
        if (this.head === this.items.length) {
          this.items = [];
          this.head = 0;
        }
        return { done: false, value: item };
      }
      if (this.finished) return { done: true, value: undefined };
      if (!this.open) {
        this.finished = true;
        const err = this.error;
        this.error = null;
        if (err) throw err.e;
        return { done: true, value: undefined };
      }
      await this.changed.wait();
    }
  }

  async return(): Promise<IteratorResult<T>> {
    this.close(true);
    return { done: true, value: undefined };
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}

/**
 * An emitter's events as a queue (subscribed at once, so nothing emitted after this call is missed): `initial`
 * first, then each event mapped by `map` (default: its first argument). The listener goes when the queue closes.
 */
export function eventQueue<T>(emitter: EventEmitter, event: string, opts: QueueOptions & { initial?: Iterable<T>; map?: (...args: never[]) => T } = {}): AsyncQueue<T> {
  const map = opts.map ?? ((v: unknown) => v as T);
  const listener = (...args: unknown[]) => queue.push((map as (...a: unknown[]) => T)(...args));
  const queue: AsyncQueue<T> = new AsyncQueue<T>({
    ...opts,
    onClose: () => {
      emitter.off(event, listener);
      opts.onClose?.();
    },
  });
  for (const item of opts.initial ?? []) queue.push(item);
  if (queue.accepting) emitter.on(event, listener);
  return queue;
}
