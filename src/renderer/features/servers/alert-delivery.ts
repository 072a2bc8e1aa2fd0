import type { Alert } from '../../../shared/contract/fleet.ts';
import { noticeDelivery, type NoticeDelivery, type NoticeEnv } from '../../lib/notice.ts';

export const ALERT_TITLES: Record<Alert['kind'], string> = {
  disk: 'Disk almost full',
  unreachable: 'Server unreachable',
  unhealthy: 'Container unhealthy',
  'restart-loop': 'Restart loop',
};

/**
 * How one fleet alert reaches the user: titled by its kind, delivered as every notice is (`noticeDelivery`: an OS
 * notification in the desktop app when allowed, a toast otherwise). The message already names the server (and
 * the container). Alerts come once per episode from the main process (`fleet/alerts.ts`), so each is delivered
 * as it arrives.
 */
export function alertDelivery(a: Alert, env: NoticeEnv): NoticeDelivery {
  return noticeDelivery(ALERT_TITLES[a.kind], a.message, env);
}
