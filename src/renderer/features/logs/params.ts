import { useSyncExternalStore } from 'react';

/** What `#/logs?server=<id>&containers=<id,id>&tail=<n|all>&since=<ms>` asks for. */
export interface LogsParams {
  serverId: string;
  containerIds: string[];
  /** undefined = all lines. */
  tail: number | undefined;
  since: number | undefined;
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
  const serverId = p.get('server');
  const containerIds = (p.get('containers') ?? '').split(',').filter(Boolean);
  if (!serverId || containerIds.length === 0) return null;
  const tailRaw = p.get('tail');
  const tail = tailRaw === 'all' ? undefined : tailRaw && /^\d+$/.test(tailRaw) ? Number(tailRaw) : DEFAULT_TAIL;
  const sinceRaw = p.get('since');
  const since = sinceRaw && /^\d+$/.test(sinceRaw) ? Number(sinceRaw) : undefined;
  return { serverId, containerIds, tail, since };
}

export function logsHash(p: LogsParams): string {
  const q = new URLSearchParams({ server: p.serverId, containers: p.containerIds.join(','), tail: p.tail === undefined ? 'all' : String(p.tail) });
  if (p.since !== undefined) q.set('since', String(p.since));
  return `#/logs?${q.toString()}`;
}
