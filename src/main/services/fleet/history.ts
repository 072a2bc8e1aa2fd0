import type { HostSample } from '../../../shared/contract/fleet.ts';
import { errorMessage } from '../core/errors.ts';
import { WATCH_PORTS } from '../watch/names.ts';
import { watchHttp, type ForwardingConnection } from '../watch/http.ts';
import { hostHistoryQuery, hostSamplesFromMatrix, type HistoryRange } from './prom-history.ts';
import type { MetricsStore } from './store.ts';

export interface HostHistoryDeps {
  store: Pick<MetricsStore, 'hostHistory'>;
  connect(serverId: string): Promise<ForwardingConnection>;
  /** Whether Watch (Prometheus) runs on the server, as far as the app knows. */
  watching(serverId: string): boolean | Promise<boolean>;
  timeoutMs?: number;
  log?: (msg: string) => void;
}

/**
 * A server's host history for the charts. With Watch on it comes from Prometheus (query_range over the SSH
 * connection), so it covers the time the app was closed; the app's own SQLite samples fill in before Prometheus'
 * first point (Watch turned on recently). Without Watch, or when Prometheus cannot be asked, the SQLite samples.
 */
export class HostHistory {
  private readonly deps: HostHistoryDeps;
  constructor(deps: HostHistoryDeps) {
    this.deps = deps;
  }

  async hostHistory(serverId: string, range: HistoryRange, now = Date.now()): Promise<HostSample[]> {
    const local = this.deps.store.hostHistory(serverId, range, now);
    if (!(await this.deps.watching(serverId))) return local;
    try {
      const conn = await this.deps.connect(serverId);
      const res = await watchHttp(conn, WATCH_PORTS.prometheus, { path: '/api/v1/query_range', query: hostHistoryQuery(range, now), timeoutMs: this.deps.timeoutMs ?? 10_000, what: 'Prometheus' });
      return mergeHistory(local, hostSamplesFromMatrix(res.json));
    } catch (e) {
      this.deps.log?.(`fleet: host history of ${serverId} from Prometheus failed, using the app's samples: ${errorMessage(e)}`);
      return local;
    }
  }
}

/** The app's samples from before Prometheus' first point, then Prometheus' points. */
export function mergeHistory(local: HostSample[], prom: HostSample[]): HostSample[] {
  const first = prom[0]?.at;
  if (first === undefined) return local;
  return [...local.filter((s) => s.at < first), ...prom];
}
