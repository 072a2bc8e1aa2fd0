import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import type { WatchStatus } from '../../../shared/contract/watch.ts';
import { useUi } from '../../app/store.ts';
import { describeError } from '../../lib/errors.ts';
import { api, queryUtils } from '../../lib/rpc.ts';

/** Who watches the watcher: the servers this one's Prometheus scrapes, and those that scrape it. */
export function PeersCard({ status }: { status: WatchStatus }) {
  const orpc = queryUtils();
  const qc = useQueryClient();
  const toast = useUi((s) => s.toast);
  const servers = useQuery(orpc.servers.list.queryOptions());
  const others = (servers.data ?? []).filter((s) => s.id !== status.serverId);
  const [chosen, setChosen] = useState<Set<string>>(() => new Set(status.peers.map((p) => p.serverId)));
  const save = useMutation({
    mutationFn: () => api().watch.setPeers({ serverId: status.serverId, peerIds: [...chosen] }),
    onSuccess: () => {
      toast({ kind: 'success', title: 'Peers saved' });
      void qc.invalidateQueries({ queryKey: orpc.watch.key() });
    },
    onError: (e) => toast({ kind: 'error', title: 'Could not save the peers', detail: describeError(e).message }),
  });
  const changed = chosen.size !== status.peers.length || status.peers.some((p) => !chosen.has(p.serverId));
  return (
    <div className="card" data-testid="watch-peers">
      <h2>Peers</h2>
      <p className="muted">A server that watches another reports it down when it stops answering, so a dead server is reported by a living one.</p>
      {others.length === 0 ? (
        <p className="muted">No other servers yet: add a second server to let them watch each other.</p>
      ) : (
        <fieldset style={{ border: 0, padding: 0 }}>
          <legend className="small">This server watches</legend>
          {others.map((s) => (
            <label key={s.id} className="row" style={{ gap: 6 }}>
              <input
                type="checkbox"
                checked={chosen.has(s.id)}
                onChange={(e) =>
                  setChosen((c) => {
                    const next = new Set(c);
                    if (e.target.checked) next.add(s.id);
                    else next.delete(s.id);
                    return next;
                  })
                }
              />
              {s.name} <span className="muted small">{status.peers.find((p) => p.serverId === s.id)?.address ?? ''}</span>
            </label>
          ))}
          <button onClick={() => save.mutate()} disabled={!changed || save.isPending} data-testid="watch-peers-save">
            Save peers
          </button>
        </fieldset>
      )}
      <p className="small" data-testid="watch-watched-by">
        Watched by: {status.watchedBy.length ? status.watchedBy.map((p) => p.name).join(', ') : 'no other server'}
      </p>
    </div>
  );
}
