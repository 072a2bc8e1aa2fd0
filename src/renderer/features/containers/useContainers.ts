import { useEffect, useMemo, useState } from 'react';
import type { Container } from '../../../shared/contract/containers.ts';
import { api } from '../../lib/rpc.ts';
import { anchorStatus, type StatusAnchor } from './uptime.ts';

/** A container with its status anchored in time (so its uptime ticks) and when its server last answered. */
export type LiveContainer = Container & { anchor: StatusAnchor | null; readAt: number };

/** Anchors a fresh list; a container whose status text did not change keeps its anchor (no jump on a re-read). */
function anchored(list: Container[], previous: LiveContainer[] | undefined, readAt: number): LiveContainer[] {
  const before = new Map((previous ?? []).map((c) => [c.id, c]));
  return list.map((c) => {
    const old = before.get(c.id);
    return { ...c, readAt, anchor: old && old.status === c.status ? old.anchor : anchorStatus(c.status, readAt) };
  });
}

/** Containers of every server, kept live by the watch stream (each server's list replaced on change). */
export function useLiveContainers(): { containers: LiveContainer[]; loading: boolean } {
  const [byServer, setByServer] = useState<Record<string, LiveContainer[]>>({});
  const [loading, setLoading] = useState(true);
  useEffect(() => {
    const ac = new AbortController();
    void (async () => {
      try {
        const first = await api().containers.list({});
        const readAt = Date.now();
        const grouped: Record<string, Container[]> = {};
        for (const c of first.containers) (grouped[c.serverId] ??= []).push(c);
        setByServer(Object.fromEntries(Object.entries(grouped).map(([id, list]) => [id, anchored(list, undefined, readAt)])));
        setLoading(false);
        for await (const change of await api().containers.watch({}, { signal: ac.signal })) {
          const at = Date.now();
          setByServer((s) => ({ ...s, [change.serverId]: anchored(change.containers, s[change.serverId], at) }));
        }
      } catch {
        setLoading(false);
      }
    })();
    return () => ac.abort();
  }, []);
  const containers = useMemo(() => Object.values(byServer).flat(), [byServer]);
  return { containers, loading };
}
