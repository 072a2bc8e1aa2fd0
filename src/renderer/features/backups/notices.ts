import type { BackupNotice } from '../../../shared/contract/backups.ts';
import { useUi } from '../../app/store.ts';
import { showNotice } from '../../lib/notice.ts';
import { api } from '../../lib/rpc.ts';
import { useSubscription } from '../../lib/subscription.ts';

export function noticeText(n: BackupNotice): string {
  const runs = n.failedRuns === 1 ? 'a backup run failed' : `${n.failedRuns} backup runs failed`;
  // The error is the tail of the tools' output: its end says most (e.g. "connection refused"); the Backups page has it all.
  const error = n.error.length > 220 ? `…${n.error.slice(-220)}` : n.error;
  return `${n.label}: ${runs} on the server (last ${new Date(n.lastFailedAt).toLocaleString()}): ${error}${n.recovered ? ' — the latest run succeeded' : ''}`;
}

/**
 * Backup runs that failed on a server while the app was away (or since the last look) arrive when the app
 * connects to it: an OS notification on the desktop (when allowed), a toast otherwise.
 */
export function useBackupNotices(enabled: boolean): void {
  const toast = useUi((s) => s.toast);
  useSubscription(
    async (signal) => (enabled ? api().backups.notices(undefined, { signal }) : []),
    (n) => showNotice(toast, 'Backup failed', noticeText(n), 'OpenPanel: backup failed'),
    [enabled],
  );
}
