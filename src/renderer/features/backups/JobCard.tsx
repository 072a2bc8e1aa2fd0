import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import type { BackupJob, BackupObject } from '../../../shared/contract/backups.ts';
import { engineLabel } from '../../../shared/contract/engines.ts';
import { useUi, useUiRequest } from '../../app/store.ts';
import { describeError } from '../../lib/errors.ts';
import { bytes } from '../../lib/format.ts';
import { api, queryUtils } from '../../lib/rpc.ts';
import { confirmDialog } from '../../app/confirm.tsx';
import { LongOperation } from '../../components/LongOperation.tsx';
import { runBackupNow, type BackupProgress } from './actions.ts';
import { JobEditDialog } from './JobEditDialog.tsx';
import { RestoreDialog } from './RestoreDialog.tsx';

/** One scheduled backup: its last run (as recorded on the server), "back up now", edit, delete, its backups, restore and verify. */
export function JobCard({ job, lastRun }: { job: BackupJob; lastRun: { state: string; error: string | null } | undefined }) {
  const orpc = queryUtils();
  const qc = useQueryClient();
  const toast = useUi((s) => s.toast);
  const objects = useQuery(orpc.backups.list.queryOptions({ input: { jobId: job.id } }));
  const [progress, setProgress] = useState<BackupProgress | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const refresh = () => {
    void qc.invalidateQueries({ queryKey: orpc.backups.key() });
    void qc.invalidateQueries({ queryKey: ['backup-status'] });
  };

  const runNow = async () => {
    await runBackupNow(job.id, (p) => setProgress((prev) => ({ ...p, bytes: Math.max(p.bytes, prev?.bytes ?? 0) })));
    refresh();
  };
  useUiRequest('backup-now', (r) => r.jobId === job.id, () => void runNow());
  const [restoring, setRestoring] = useState<BackupObject | null>(null);
  const [editing, setEditing] = useState(false);
  const remove = async () => {
    const ok = await confirmDialog({
      title: `Delete the schedule of ${job.label}?`,
      detail: 'It is removed from the server’s crontab and stops running. Backups already in the target stay in the bucket (delete them there if you want).',
      confirmLabel: 'Delete schedule',
      danger: true,
    });
    if (!ok) return;
    try {
      await api().backups.removeJob({ id: job.id });
      toast({ kind: 'success', title: `Deleted the schedule of ${job.label}` });
    } catch (e) {
      toast({ kind: 'error', title: 'Delete failed', detail: describeError(e).message });
    } finally {
      refresh();
    }
  };
  const verify = async (key: string) => {
    setBusy(key);
    try {
      await api().backups.verify({ jobId: job.id, key });
    } catch (e) {
      toast({ kind: 'error', title: 'Verify failed', detail: describeError(e).message });
    } finally {
      setBusy(null);
      refresh();
    }
  };
  const pct = progress ? (progress.phase === 'done' ? 100 : progress.estimate ? Math.min(99, (progress.bytes / progress.estimate) * 100) : 30) : 0;
  return (
    <div className="card" data-job={job.label}>
      <div className="row">
        <h2 style={{ margin: 0 }}>{job.label}</h2>
        <span className="muted small">
          {job.schedule} · keep {job.keepLast ?? '∞'}
          {job.keepDays ? ` · ${job.keepDays} days` : ''} · last run: {lastRun?.state ?? 'never'}
        </span>
        {lastRun?.state === 'failed' && <span className="field-error small">{lastRun.error}</span>}
        <div className="spacer" />
        <button className="primary" onClick={() => void runNow()} data-testid="backup-now">
          Back up now
        </button>
        <button onClick={() => setEditing(true)}>Edit…</button>
        <button onClick={() => void remove()}>Delete…</button>
      </div>
      {editing && <JobEditDialog job={job} onClose={() => setEditing(false)} />}
      {restoring && <RestoreDialog job={job} object={restoring} onClose={() => setRestoring(null)} />}
      {progress && (
        <LongOperation status={progress.phase} step={progress.step} progress={pct} log="" error={progress.phase === 'failed' ? progress.error : null} ids={{ status: 'backup-phase' }}>
          <span className="small muted">{bytes(progress.bytes)}</span>
        </LongOperation>
      )}
      <table className="table small" data-testid="backups-list">
        <tbody>
          {objects.data?.map((o) => (
            <tr key={o.key} data-key={o.key}>
              <td className="mono">{o.key.split('/').pop()}</td>
              <td>{bytes(o.size)}</td>
              <td>{o.manifest ? `${engineLabel(o.manifest.kind)} ${o.manifest.dbVersion}` : 'no manifest'}</td>
              <td>
                {o.verification ? (
                  <span className={`badge ${o.verification.passed ? 'ok' : 'failed'}`} data-testid="verify-badge" title={o.verification.detail}>
                    {o.verification.passed ? 'verified' : 'verify failed'}
                  </span>
                ) : (
                  <span className="badge">not verified</span>
                )}
              </td>
              <td>
                <div className="actions-inline">
                  <button disabled={busy === o.key} onClick={() => void verify(o.key)}>
                    Verify
                  </button>
                  {job.source.kind === 'database' && (
                    <button disabled={busy === o.key} onClick={() => setRestoring(o)}>
                      Restore…
                    </button>
                  )}
                </div>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
