import { useSyncExternalStore } from 'react';

/**
 * What `#/logs?server=<id>&containers=<id,id>&tail=<n|all>&since=<ms>` asks for; more servers repeat the
 * `server=…&containers=…` pair. `#/logs?cluster=<id>&app=<name>[&tail=…][&since=…]`: every task of a cluster app.
 */
export interface LogsParams {
  serverId: string;
  containerIds: string[];
  /** Containers of other servers, in the same view. */
  also?: { serverId: string; containerIds: string[] }[];
  /** undefined = all lines. */
  tail: number | undefined;
  since: number | undefined;
  /** Every task of a cluster app, merged (`serverId` and `containerIds` are then empty). */
  cluster?: { clusterId: string; name: string };
}

export const DEFAULT_TAIL = 1000;

function query(): string {
  const h = window.location.hash;
  const q = h.indexOf('?');
  return q < 0 ? '' : h.slice(q + 1);
}

export function useHashQuery(): string {
  return useSyncExternalStore(
    (cb) => {
      window.addEventListener('hashchange', cb);
      return () => window.removeEventListener('hashchange', cb);
    },
    query,
  );
}

export function parseLogsParams(q: string): LogsParams | null {
  const p = new URLSearchParams(q);
  const clusterId = p.get('cluster');
  const app = p.get('app');
  if (clusterId && app) return { serverId: '', containerIds: [], cluster: { clusterId, name: app }, ...backfill(p) };
  const servers = p.getAll('server');
  const lists = p.getAll('containers');
  const groups = servers.map((serverId, i) => ({ serverId, containerIds: (lists[i] ?? '').split(',').filter(Boolean) })).filter((g) => g.serverId && g.containerIds.length > 0);
  if (groups.length === 0) return null;
  const [{ serverId, containerIds }, ...also] = groups as [LogsGroup, ...LogsGroup[]];
  return { serverId, containerIds, ...(also.length ? { also } : {}), ...backfill(p) };
}

function backfill(p: URLSearchParams): Pick<LogsParams, 'tail' | 'since'> {
  const tailRaw = p.get('tail');
  const tail = tailRaw === 'all' ? undefined : tailRaw && /^\d+$/.test(tailRaw) ? Number(tailRaw) : DEFAULT_TAIL;
  const sinceRaw = p.get('since');
  const since = sinceRaw && /^\d+$/.test(sinceRaw) ? Number(sinceRaw) : undefined;
  return { tail, since };
}

type LogsGroup = { serverId: string; containerIds: string[] };

export function logsHash(p: LogsParams): string {
  const q = p.cluster ? new URLSearchParams({ cluster: p.cluster.clusterId, app: p.cluster.name }) : new URLSearchParams({ server: p.serverId, containers: p.containerIds.join(',') });
  for (const g of p.also ?? []) {
    q.append('server', g.serverId);
    q.append('containers', g.containerIds.join(','));
  }
  q.set('tail', p.tail === undefined ? 'all' : String(p.tail));
  if (p.since !== undefined) q.set('since', String(p.since));
  return `#/logs?${q.toString()}`;
}
