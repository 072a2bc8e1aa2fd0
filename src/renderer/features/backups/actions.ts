import { useUi } from '../../app/store.ts';
import { describeError } from '../../lib/errors.ts';
import { api } from '../../lib/rpc.ts';

export interface BackupProgress {
  phase: string;
  step: string | null;
  error: string | null;
  bytes: number;
  estimate: number | null;
}

/** "Back up now": follows the run to its end; a failure is a toast. Resolves true when the backup completed. */
export async function runBackupNow(jobId: string, onProgress?: (p: BackupProgress) => void): Promise<boolean> {
  const toast = useUi.getState().toast;
  try {
    let done = false;
    for await (const p of await api().backups.runNow({ jobId })) {
      onProgress?.({ phase: p.phase, step: p.step, error: p.error, bytes: p.bytes, estimate: p.estimate });
      if (p.phase === 'failed') toast({ kind: 'error', title: 'Backup failed', detail: p.error ?? undefined });
      if (p.phase === 'done') done = true;
    }
    return done;
  } catch (e) {
    toast({ kind: 'error', title: 'Backup failed', detail: describeError(e).message });
    return false;
  }
}
