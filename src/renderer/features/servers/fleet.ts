import { useEffect } from 'react';
import { create } from 'zustand';
import type { ServerSnapshot } from '../../../shared/contract/fleet.ts';
import { useUi } from '../../app/store.ts';
import { api } from '../../lib/rpc.ts';

interface FleetState {
  byId: Record<string, ServerSnapshot>;
  set(s: ServerSnapshot): void;
}

export const useFleet = create<FleetState>((set) => ({
  byId: {},
  set: (s) => set((st) => ({ byId: { ...st.byId, [s.serverId]: s } })),
}));

/** One subscription for the whole UI: snapshots as samples land and containers change. */
export function useFleetFeed(): void {
  const setSnap = useFleet((s) => s.set);
  useEffect(() => {
    const ac = new AbortController();
    void (async () => {
      try {
        for await (const snap of await api().fleet.watch(undefined, { signal: ac.signal })) setSnap(snap);
      } catch {
        /* cancelled */
      }
    })();
    return () => ac.abort();
  }, [setSnap]);
}

/** Alerts become OS notifications on the desktop (when allowed) and toasts in the browser. */
export function useAlertNotifications(enabled: boolean): void {
  const toast = useUi((s) => s.toast);
  useEffect(() => {
    if (!enabled) return;
    const ac = new AbortController();
    const desktop = typeof Notification !== 'undefined' && window.location.protocol === 'file:';
    if (desktop && Notification.permission === 'default') void Notification.requestPermission();
    void (async () => {
      try {
        for await (const a of await api().fleet.alerts(undefined, { signal: ac.signal })) {
          if (desktop && Notification.permission === 'granted') new Notification('OpenPanel', { body: a.message });
          else toast({ kind: 'error', title: a.kind === 'disk' ? 'Disk almost full' : a.kind === 'unreachable' ? 'Server unreachable' : a.kind === 'unhealthy' ? 'Container unhealthy' : 'Restart loop', detail: a.message });
        }
      } catch {
        /* cancelled */
      }
    })();
    return () => ac.abort();
  }, [enabled, toast]);
}
