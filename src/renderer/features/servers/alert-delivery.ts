import type { Alert } from '../../../shared/contract/fleet.ts';

export const ALERT_TITLES: Record<Alert['kind'], string> = {
  disk: 'Disk almost full',
  unreachable: 'Server unreachable',
  unhealthy: 'Container unhealthy',
  'restart-loop': 'Restart loop',
};

export type AlertDelivery = { via: 'os'; title: string; body: string } | { via: 'toast'; title: string; detail: string };

/**
 * How one alert reaches the user (no DOM here, so it is unit-tested): an OS notification in the desktop app when
 * the user allowed notifications, a toast otherwise (the browser, or a desktop where notifications were refused
 * or not answered yet). The message already names the server (and the container), as a notification shows
 * nothing else. Alerts come once per episode from the main process (`fleet/alerts.ts`), so each is delivered
 * as it arrives.
 */
export function alertDelivery(a: Alert, env: DeliveryEnv): AlertDelivery {
  return deliveryOf(ALERT_TITLES[a.kind], a.message, env);
}

export interface DeliveryEnv {
  desktop: boolean;
  permission: 'default' | 'granted' | 'denied' | null;
}

/** The same decision for any alert with a title and a message naming its server (Watch's alerts too). */
export function deliveryOf(title: string, message: string, env: DeliveryEnv): AlertDelivery {
  if (env.desktop && env.permission === 'granted') return { via: 'os', title: `OpenPanel: ${title}`, body: message };
  return { via: 'toast', title, detail: message };
}
