import { sleep } from '../core/async.ts';
import type { LogsBatchOut, LogsService } from './logs.ts';

export interface FollowAppOptions {
  tail?: number;
  timestamps?: boolean;
  flowId?: string;
}

/** The app's live container as found now (by its labels), or null when it has none. */
export type LiveContainer = () => Promise<{ id: string; running: boolean } | null>;

/** How long to wait before looking again while the app has no container, or only the one just followed, stopped. */
const RELOOK_MS = 1_000;

/**
 * An app's logs across its deploys: follows its live container until that stream ends (the container was removed,
 * e.g. replaced by a deploy), then looks the live container up again and follows that one. One seq numbering runs
 * across the containers, so the consumer's acks (`logs.ack` with the same flow id) keep working; each switch sends
 * `containers` again. Ends only when `signal` aborts.
 */
export async function* followApp(logs: LogsService, serverId: string, live: LiveContainer, opts: FollowAppOptions, signal: AbortSignal): AsyncGenerator<LogsBatchOut> {
  let seq = 0;
  let current: string | null = null;
  let lastTime: number | null = null;
  while (!signal.aborted) {
    const found = await live();
    // Nothing new to follow: wait, then look again (the same stopped container would end its stream at once).
    if (!found || (found.id === current && !found.running)) {
      await sleep(RELOOK_MS, signal);
      continue;
    }
    const same = found.id === current;
    const from =
      same && lastTime !== null
        ? { since: lastTime + 0.001 } // the same container again: only what came after the last line
        : current === null && opts.tail !== undefined
          ? { tail: opts.tail }
          : {}; // a container a deploy brought: from its start
    current = found.id;
    const inner = logs.follow(serverId, { containerIds: [found.id], follow: true, timestamps: opts.timestamps ?? true, seqFrom: seq, ...from, ...(opts.flowId ? { flowId: opts.flowId } : {}) }, signal);
    for await (const batch of inner) {
      seq = batch.seq + 1;
      for (const line of batch.lines) if (line[2] !== null && (lastTime === null || line[2] > lastTime)) lastTime = line[2];
      // The container's stream ending is not the app's: the next container follows.
      yield { ...batch, ended: [] };
    }
  }
}
