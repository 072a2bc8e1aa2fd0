import type { Readable } from 'node:stream';
import { sleep } from '../core/async.ts';
import { AppError, errorMessage } from '../core/errors.ts';
import { backoffDelay } from '../ssh/backoff.ts';
import type { DockerClient } from './client.ts';

export interface DockerEvent {
  type: string;
  action: string;
  id: string;
  name: string | null;
  /** Milliseconds since the epoch. */
  time: number;
  /** Nanoseconds since the epoch, as the engine reports it (exact ordering and de-duplication). */
  timeNano: string;
}

interface RawEvent {
  Type?: string;
  Action?: string;
  Actor?: { ID?: string; Attributes?: Record<string, string> };
  id?: string;
  time?: number;
  timeNano?: number | string;
}

function toEvent(raw: RawEvent): DockerEvent {
  const timeNano = String(raw.timeNano ?? (raw.time ?? 0) * 1e9);
  return {
    type: raw.Type ?? 'unknown',
    action: raw.Action ?? 'unknown',
    id: raw.Actor?.ID ?? raw.id ?? '',
    name: raw.Actor?.Attributes?.name ?? null,
    time: Math.floor(Number(BigInt(timeNano) / 1_000_000n)),
    timeNano,
  };
}

/** Docker's `since` takes seconds with a nanosecond fraction. */
function sinceArg(timeNano: string): string {
  const n = BigInt(timeNano);
  return `${n / 1_000_000_000n}.${(n % 1_000_000_000n).toString().padStart(9, '0')}`;
}

/** The stream's own state, between events: reconnecting after a transient failure, then live again. */
export interface DockerEventsStatus {
  kind: 'status';
  state: 'reconnecting' | 'live';
  errorCode: string | null;
  error: string | null;
  attempt: number;
  retryAt: number | null;
}

export type DockerEventsItem = DockerEvent | DockerEventsStatus;

/** Failures that only the user can fix: retrying cannot help (no Docker access, refused host key…). */
const PERMANENT = new Set(['DOCKER_UNAVAILABLE', 'AUTH_FAILED', 'HOST_KEY_CHANGED', 'HOST_KEY_UNKNOWN', 'NOT_FOUND', 'INPUT_INVALID', 'VAULT_LOCKED', 'KEYCHAIN_UNAVAILABLE']);

export function isPermanent(e: unknown): boolean {
  return e instanceof AppError && PERMANENT.has(e.code);
}

export interface FollowOptions {
  signal: AbortSignal;
  /** Start from this engine time (nanoseconds); default: now. */
  sinceNano?: string;
  onGap?: (error: unknown, attempt: number) => void;
  maxBackoffMs?: number;
  /**
   * true: a permanent failure ends the stream with that error. false: keep waiting for the user to fix it,
   * checking at most once a minute (background watchers that must come back by themselves).
   */
  endOnPermanent?: boolean;
}

/**
 * Docker events, live, across connection drops: after a drop the stream re-subscribes with `since` set to
 * the last event seen, and events already delivered (same timeNano, same key) are dropped — nothing is
 * lost or delivered twice while the engine keeps its event log.
 */
export async function* followDockerEvents(getClient: () => Promise<DockerClient>, opts: FollowOptions): AsyncGenerator<DockerEventsItem> {
  let lastNano: string | null = opts.sinceNano ?? null;
  let seenAtLast = new Set<string>();
  let attempt = 0;
  while (!opts.signal.aborted) {
    let stream: Readable | null = null;
    try {
      const client = await getClient();
      const since = lastNano ? sinceArg(lastNano) : undefined;
      stream = (await client.streams.getEvents(since ? { since, abortSignal: opts.signal } as object : { abortSignal: opts.signal } as object)) as unknown as Readable;
      if (attempt > 0) yield { kind: 'status', state: 'live', errorCode: null, error: null, attempt: 0, retryAt: null };
      attempt = 0;
      let buffer = '';
      for await (const chunk of stream) {
        buffer += (chunk as Buffer).toString('utf8');
        let nl: number;
        while ((nl = buffer.indexOf('\n')) >= 0) {
          const line = buffer.slice(0, nl).trim();
          buffer = buffer.slice(nl + 1);
          if (!line) continue;
          const ev = toEvent(JSON.parse(line) as RawEvent);
          const key = `${ev.type}/${ev.action}/${ev.id}`;
          if (lastNano !== null) {
            const cmp = BigInt(ev.timeNano) - BigInt(lastNano);
            if (cmp < 0n || (cmp === 0n && seenAtLast.has(key))) continue; // replayed after a resume
            if (cmp > 0n) seenAtLast = new Set();
          }
          lastNano = ev.timeNano;
          seenAtLast.add(key);
          yield ev;
        }
      }
      if (opts.signal.aborted) return;
      throw new Error('the Docker event stream ended');
    } catch (e) {
      stream?.destroy();
      if (opts.signal.aborted) return;
      const permanent = isPermanent(e);
      if (permanent && opts.endOnPermanent) throw e;
      attempt++;
      opts.onGap?.(e, attempt);
      const delay = permanent ? 60_000 : backoffDelay(attempt, 250, opts.maxBackoffMs ?? 5_000) + 100;
      yield { kind: 'status', state: 'reconnecting', errorCode: e instanceof AppError ? e.code : 'CONNECT_FAILED', error: errorMessage(e), attempt, retryAt: Date.now() + delay };
      // If nothing was seen yet, resume from "now minus a little" is unknowable: start from the engine's now.
      await sleep(delay, opts.signal);
    }
  }
}

/** Only the engine's events (for consumers that do not show the stream's state). */
export async function* onlyEvents(items: AsyncGenerator<DockerEventsItem>): AsyncGenerator<DockerEvent> {
  for await (const item of items) if (!('kind' in item)) yield item;
}
