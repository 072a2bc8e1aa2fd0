import { create } from 'zustand';
import type { ConnectionStatus } from '../../../shared/contract/servers.ts';
import { api } from '../../lib/rpc.ts';
import { useSubscription } from '../../lib/subscription.ts';

interface StatusState {
  byId: Record<string, ConnectionStatus>;
  set(s: ConnectionStatus): void;
}

export const useStatus = create<StatusState>((set) => ({
  byId: {},
  set: (s) => set((st) => ({ byId: { ...st.byId, [s.serverId]: s } })),
}));

/** Keeps connection states live for the whole UI from one subscription (no polling). */
export function useStatusFeed(): void {
  const setStatus = useStatus((s) => s.set);
  useSubscription((signal) => api().servers.watchStatus(undefined, { signal }), setStatus, []);
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
