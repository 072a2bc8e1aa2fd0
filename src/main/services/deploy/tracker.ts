import { EventEmitter } from 'node:events';
import { StringDecoder } from 'node:string_decoder';
import { z } from 'zod';
import { errorMessage } from '../core/errors.ts';

/** What the job writes to state.json. */
export const JobState = z.object({
  status: z.enum(['running', 'succeeded', 'failed']),
  step: z.string(),
  progress: z.number(),
  image: z.string(),
  commit: z.string(),
  container: z.string(),
  buildMs: z.number().nullable(),
  error: z.string(),
  at: z.number(),
});
export type JobState = z.infer<typeof JobState>;

export interface JobReader {
  /** state.json (or null) and the log bytes from `offset`, read over SSH. */
  read(offset: number): Promise<{ state: JobState | null; log: Buffer }>;
  /** Whether the builder container still exists. */
  builderAlive(): Promise<boolean>;
  /** Why a builder that ended without a final state stopped, as it said on its stderr (null: unknown). */
  exitReason?(): Promise<string | null>;
}

const SEP = '\x1e';
/** Constant script: the job dir and byte offset are positional arguments. At most 1 MiB of log per read. */
export const READ_SCRIPT = `cat "$1/state.json" 2>/dev/null; printf '${SEP}'; tail -c +"$2" "$1/log" 2>/dev/null | head -c 1048576`;

export function parseRead(out: Buffer): { state: JobState | null; log: Buffer } {
  const i = out.indexOf(SEP);
  if (i < 0) return { state: null, log: Buffer.alloc(0) };
  let state: JobState | null;
  try {
    const parsed = JobState.safeParse(JSON.parse(out.subarray(0, i).toString('utf8')));
    state = parsed.success ? parsed.data : null;
  } catch {
    state = null;
  }
  return { state, log: out.subarray(i + 1) };
}

export interface TrackerOptions {
  intervalMs?: number;
  /** Give up watching after this long (the job keeps its files on the server). */
  maxMs?: number;
}

/**
 * Follows one job on the server by polling its files: survives dropped connections (it just retries) and
 * app restarts (a new tracker starts from offset 0 and gets the whole log). Emits `update` on every change.
 */
export class JobTracker extends EventEmitter<{ update: [] }> {
  log = '';
  state: JobState | null = null;
  attached = false;
  /** Set when the job is over: its final status (or 'lost' when the builder vanished without a result). */
  outcome: 'succeeded' | 'failed' | 'lost' | null = null;
  lastError: string | null = null;
  /** With outcome 'lost': the builder's own last words, when they were heard (e.g. its disk was full). */
  lostReason: string | null = null;
  private bytes = 0;
  private readonly decoder = new StringDecoder('utf8');
  private stopped = false;
  private wake: (() => void) | null = null;
  readonly finished: Promise<void>;

  private readonly reader: JobReader;
  private readonly opts: TrackerOptions;

  constructor(reader: JobReader, opts: TrackerOptions = {}) {
    super();
    this.reader = reader;
    this.opts = opts;
    this.finished = this.run();
  }

  stop(): void {
    this.stopped = true;
    this.wake?.();
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.wake = null;
        resolve();
      }, ms);
      this.wake = () => {
        clearTimeout(t);
        this.wake = null;
        resolve();
      };
    });
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
          this.bytes += log.length;
          this.log += this.decoder.write(log);
          changed = true;
        }
        if (state && JSON.stringify(state) !== JSON.stringify(this.state)) {
          this.state = state;
          changed = true;
        }
        if (state && state.status !== 'running' && log.length < 1048576) {
          this.log += this.decoder.end();
          this.outcome = state.status;
          this.emit('update');
          return;
        }
        // Every ~3 s, make sure the job is still alive (a killed builder leaves a 'running' state behind).
        if (polls % 10 === 0 && !(await this.reader.builderAlive())) {
          const again = await this.reader.read(this.bytes);
          if (!again.state || again.state.status === 'running') {
            this.bytes += again.log.length;
            this.log += this.decoder.write(again.log) + this.decoder.end();
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
        await this.sleep(Math.min(2000, interval * 4));
        continue;
      }
      await this.sleep(interval);
    }
  }
}
