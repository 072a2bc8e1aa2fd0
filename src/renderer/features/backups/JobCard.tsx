import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import type { BackupJob } from '../../../shared/contract/backups.ts';
import { engineLabel } from '../../../shared/contract/engines.ts';
import { useUi, useUiRequest } from '../../app/store.ts';
import { describeError } from '../../lib/errors.ts';
import { bytes } from '../../lib/format.ts';
import { api, queryUtils } from '../../lib/rpc.ts';
import { promptDialog } from '../../app/confirm.tsx';
import { LongOperation } from '../../components/LongOperation.tsx';
import { runBackupNow, type BackupProgress } from './actions.ts';

/** One scheduled backup: its last run (as recorded on the server), "back up now", its backups, restore and verify. */
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
  const dbs = useQuery(orpc.databases.list.queryOptions({ input: {} }));
  const source = job.source.kind === 'database' ? dbs.data?.find((d) => d.id === (job.source as { databaseId: string }).databaseId) : undefined;
  const restore = async (key: string) => {
    if (job.source.kind !== 'database') return;
    let target: Parameters<ReturnType<typeof api>['backups']['restore']>[0]['target'];
    if (source?.engine === 'redis') {
      // A Redis backup is a whole instance: it goes into another (empty) managed Redis, named here.
      const name = await promptDialog({ title: 'Restore a Redis backup', detail: 'A Redis backup is a whole instance: it is restored into another, empty managed Redis on this server (create it first under Databases).', input: { label: 'Restore into the Redis database named', initial: `${job.label}_restored` }, confirmLabel: 'Restore' });
      const into = dbs.data?.find((d) => d.name === name && d.engine === 'redis' && d.serverId === job.serverId);
      if (!name) return;
      if (!into) {
        toast({ kind: 'error', title: 'Restore failed', detail: `no Redis database named ${name} on this server` });
        return;
      }
      target = { kind: 'instance', databaseId: into.id, replace: false };
    } else {
      const name = await promptDialog({ title: `Restore a backup of ${job.label}`, detail: 'The backup is restored side by side into a new database on the same server; the live database is not touched.', input: { label: 'New database name', initial: `${job.label.replace(/[^a-z0-9_]/g, '_')}_restored` }, confirmLabel: 'Restore' });
      if (!name) return;
      target = { kind: 'database', databaseId: job.source.databaseId, dbName: name, replace: false };
    }
    setBusy(key);
    try {
      const r = await api().backups.restore({ jobId: job.id, key, target });
      toast({ kind: 'success', title: `Restored into ${r.restoredInto}`, detail: `${r.tables.length} tables, ${bytes(r.bytes)}` });
    } catch (e) {
      toast({ kind: 'error', title: 'Restore failed', detail: describeError(e).message });
    } finally {
      setBusy(null);
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
          {job.schedule} · keep {job.keepLast ?? '∞'} · last run: {lastRun?.state ?? 'never'}
        </span>
        {lastRun?.state === 'failed' && <span className="field-error small">{lastRun.error}</span>}
        <div className="spacer" />
        <button className="primary" onClick={() => void runNow()} data-testid="backup-now">
          Back up now
        </button>
      </div>
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
                    <button disabled={busy === o.key} onClick={() => void restore(o.key)}>
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
