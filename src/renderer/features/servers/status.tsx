import { useQueryClient } from '@tanstack/react-query';
import { create } from 'zustand';
import type { ConnectionStatus } from '../../../shared/contract/servers.ts';
import { useNow } from '../../lib/now.ts';
import { api, queryUtils } from '../../lib/rpc.ts';
import { useSubscription } from '../../lib/subscription.ts';
import { shortDuration } from '../containers/uptime.ts';

interface StatusState {
  byId: Record<string, ConnectionStatus>;
  /** When each server was last known connected: the moment its state left `ready`. */
  seenAt: Record<string, number>;
  set(s: ConnectionStatus): void;
}

export const useStatus = create<StatusState>((set) => ({
  byId: {},
  seenAt: {},
  set: (s) =>
    set((st) => {
      const left = st.byId[s.serverId]?.state === 'ready' && s.state !== 'ready';
      return { byId: { ...st.byId, [s.serverId]: s }, seenAt: left ? { ...st.seenAt, [s.serverId]: Date.now() } : st.seenAt };
    }),
}));

/** Audit entries that change the list of servers, from this window or any other client (another window, web mode). */
const SERVER_CHANGES = /^(servers\.(create|update|remove|trustHostKey|importKnownHosts)|profiles\.import)/;

/**
 * Keeps connection states live for the whole UI from one subscription (no polling), and the server list true
 * across clients: every audited change of servers (the activity stream) invalidates the server queries, so a
 * server removed elsewhere disappears here too.
 */
export function useStatusFeed(): void {
  const setStatus = useStatus((s) => s.set);
  const qc = useQueryClient();
  useSubscription((signal) => api().servers.watchStatus(undefined, { signal }), setStatus, []);
  useSubscription(
    (signal) => api().activity.watch(undefined, { signal }),
    (entry) => {
      if (entry.result === 'ok' && SERVER_CHANGES.test(entry.action)) void qc.invalidateQueries({ queryKey: queryUtils().servers.key() });
    },
    [],
  );
}

/** Whether what is shown of a server is stale: it was connected (or its connection broke) and is not now. */
export function isStale(status: ConnectionStatus | undefined, seenAt: number | undefined): boolean {
  if (!status || status.state === 'ready') return false;
  return seenAt !== undefined || status.state === 'reconnecting' || status.state === 'failed' || status.state === 'closed';
}

/** "last seen 12s ago", ticking; `at` is the latest of the data's own time and when the connection was lost. */
export function LastSeen({ at }: { at: number | null }) {
  const now = useNow();
  return (
    <span className="last-seen small" data-testid="last-seen">
      {at === null ? 'not seen yet' : `last seen ${shortDuration(now - at)} ago`}
    </span>
  );
}

export function StatusBadge({ status }: { status: ConnectionStatus | undefined }) {
  const state = status?.state ?? 'idle';
  const label = state === 'ready' ? 'connected' : state === 'idle' ? 'not connected' : state;
  return (
    <span className={`badge ${state === 'ready' ? 'connected' : state}`} title={status?.error ?? undefined} data-testid="status">
      ● {label}
    </span>
  );
}
