import { EventEmitter } from 'node:events';
import { StringDecoder } from 'node:string_decoder';
import { Notifier, sleep } from '../core/async.ts';
import { errorMessage } from '../core/errors.ts';
import type { JobRead } from './read.ts';
import { READ_CHUNK, type JobState } from './state.ts';

/** How a tracker reaches one job: its files, and whether whatever runs it (container, host process) still exists. */
export interface JobReader<S extends JobState = JobState> {
  /** state.json (or null) and the log bytes from `offset`, read over SSH. */
  read(offset: number): Promise<JobRead<S>>;
  /** Whether the job's runner (builder container, host process) is still there. */
  alive(): Promise<boolean>;
  /** Why a runner that ended without a final state stopped, as it said on its stderr (null: unknown). */
  exitReason?(): Promise<string | null>;
}

export interface TrackerOptions {
  intervalMs?: number;
  /** Give up watching after this long (the job keeps its files on the server). */
  maxMs?: number;
}

export type JobOutcome = 'succeeded' | 'failed' | 'lost' | 'timeout';

/**
 * Follows one job on the server by polling its files (from `start()`): survives dropped connections (it just
 * retries) and app restarts (a new tracker starts from offset 0 and gets the whole log). Emits `update` on every
 * change.
 */
export class JobTracker<S extends JobState = JobState> extends EventEmitter<{ update: [] }> {
  log = '';
  state: S | null = null;
  attached = false;
  /**
   * Set when the tracker is done: the job's final status, 'lost' when its runner vanished without a result, or
   * 'timeout' when it was still running after `maxMs` (the job may go on on the server).
   */
  outcome: JobOutcome | null = null;
  lastError: string | null = null;
  /** With outcome 'lost': the runner's own last words, when they were heard (e.g. its disk was full). */
  lostReason: string | null = null;
  private bytes = 0;
  private readonly decoder = new StringDecoder('utf8');
  private readonly stopper = new AbortController();
  private started = false;
  private markFinished: (ran: Promise<void>) => void = () => {};
  /** Settles once the tracker is done (an outcome) or stopped; only after `start()`. */
  readonly finished = new Promise<void>((resolve) => (this.markFinished = resolve));

  private readonly reader: JobReader<S>;
  private readonly opts: TrackerOptions;

  constructor(reader: JobReader<S>, opts: TrackerOptions = {}) {
    super();
    this.reader = reader;
    this.opts = opts;
  }

  /** Begins polling (once; later calls do nothing). */
  start(): this {
    if (this.started) return this;
    this.started = true;
    this.markFinished(this.run());
    return this;
  }

  stop(): void {
    this.stopper.abort();
  }

  private get stopped(): boolean {
    return this.stopper.signal.aborted;
  }

  private append(log: Buffer, end = false): void {
    this.bytes += log.length;
    this.log += this.decoder.write(log) + (end ? this.decoder.end() : '');
  }

  private async run(): Promise<void> {
    const interval = this.opts.intervalMs ?? 300;
    const deadline = Date.now() + (this.opts.maxMs ?? 3 * 3600_000);
    let polls = 0;
    while (!this.stopped && Date.now() < deadline) {
      polls++;
      try {
        const { state, log } = await this.reader.read(this.bytes);
        let changed = !this.attached;
        this.attached = true;
        this.lastError = null;
        if (log.length) {
          this.append(log);
          changed = true;
        }
        if (state && JSON.stringify(state) !== JSON.stringify(this.state)) {
          this.state = state;
          changed = true;
        }
        if (state && state.status !== 'running' && log.length < READ_CHUNK) {
          this.append(Buffer.alloc(0), true);
          this.outcome = state.status;
          this.emit('update');
          return;
        }
        // Every ~3 s, make sure the job is still alive (a killed runner leaves a 'running' state behind).
        if (polls % 10 === 0 && !(await this.reader.alive())) {
          const again = await this.reader.read(this.bytes);
          if (!again.state || again.state.status === 'running') {
            this.append(again.log, true);
            this.lostReason = (await this.reader.exitReason?.().catch(() => null)) ?? null;
            this.outcome = 'lost';
            this.emit('update');
            return;
          }
          continue;
        }
        if (changed) this.emit('update');
      } catch (e) {
        if (this.attached || this.lastError === null) {
          this.attached = false;
          this.lastError = errorMessage(e);
          this.emit('update');
        }
        await sleep(Math.min(2000, interval * 4), this.stopper.signal);
        continue;
      }
      await sleep(interval, this.stopper.signal);
    }
    if (!this.stopped) {
      this.outcome = 'timeout';
      this.emit('update');
    }
  }
}

/**
 * The tracker (started) as a stream: yields it once at once and again after each update, until it is done or the
 * signal aborts (then throws the abort reason). Bounded by the tracker's own `maxMs`.
 */
export async function* followTracker<S extends JobState>(t: JobTracker<S>, signal?: AbortSignal): AsyncGenerator<JobTracker<S>> {
  let dirty = true;
  let done = false;
  const changed = new Notifier();
  const poke = () => {
    dirty = true;
    changed.notify();
  };
  t.on('update', poke);
  void t.finished.then(() => {
    done = true;
    poke();
  });
  try {
    while (!done || dirty) {
      if (!dirty) await changed.wait({ signal });
      dirty = false;
      signal?.throwIfAborted();
      yield t;
    }
  } finally {
    t.off('update', poke);
  }
}
