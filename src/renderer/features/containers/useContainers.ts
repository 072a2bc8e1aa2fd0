import { useEffect, useState } from 'react';
import type { Container } from '../../../shared/contract/containers.ts';
import { api } from '../../lib/rpc.ts';

/** Containers of every server, kept live by the watch stream (each server's list replaced on change). */
export function useLiveContainers(): { containers: Container[]; loading: boolean } {
  const [byServer, setByServer] = useState<Record<string, Container[]>>({});
  const [loading, setLoading] = useState(true);
  useEffect(() => {
    const ac = new AbortController();
    void (async () => {
      try {
        const first = await api().containers.list({});
        const grouped: Record<string, Container[]> = {};
        for (const c of first.containers) (grouped[c.serverId] ??= []).push(c);
        setByServer(grouped);
        setLoading(false);
        for await (const change of await api().containers.watch({}, { signal: ac.signal })) setByServer((s) => ({ ...s, [change.serverId]: change.containers }));
      } catch {
        setLoading(false);
      }
    })();
    return () => ac.abort();
  }, []);
  return { containers: Object.values(byServer).flat(), loading };
}
