import { useEffect, useMemo } from 'react';
import type { ServerSnapshot } from '../../../shared/contract/fleet.ts';
import { useUi } from '../../app/store.ts';
import { deliverNotice, isDesktop, noticeEnv } from '../../lib/notice.ts';
import { api } from '../../lib/rpc.ts';
import { useSubscription } from '../../lib/subscription.ts';
import { alertDelivery } from './alert-delivery.ts';
import { perFrame, useFleet } from './fleet-store.ts';

export { useFleet };

/** One subscription for the whole UI: snapshots as samples land and containers change, applied once a frame. */
export function useFleetFeed(): void {
  const setMany = useFleet((s) => s.setMany);
  const onSnapshot = useMemo(() => perFrame<ServerSnapshot>((s) => s.serverId, setMany), [setMany]);
  useSubscription((signal) => api().fleet.watch(undefined, { signal }), onSnapshot, []);
}

/** Alerts become OS notifications on the desktop (when allowed) and toasts in the browser (see `alertDelivery`). */
export function useAlertNotifications(enabled: boolean): void {
  const toast = useUi((s) => s.toast);
  const desktop = isDesktop();
  useEffect(() => {
    if (enabled && desktop && Notification.permission === 'default') void Notification.requestPermission();
  }, [enabled, desktop]);
  useSubscription(
    async (signal) => (enabled ? api().fleet.alerts(undefined, { signal }) : []),
    (a) => deliverNotice(toast, alertDelivery(a, noticeEnv())),
    [enabled],
  );
}
