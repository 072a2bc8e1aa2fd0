import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import type { BackupTarget, TargetTest } from '../../../shared/contract/backups.ts';
import { ask } from '../../app/confirm.tsx';
import { useUi } from '../../app/store.ts';
import { Dialog } from '../../components/Dialog.tsx';
import { describeError } from '../../lib/errors.ts';
import { api, queryUtils } from '../../lib/rpc.ts';
import { TargetForm, TestResult } from './TargetForm.tsx';

/** S3-compatible destinations; credentials go to the keychain, each target gets its own age key pair. */
export function TargetsCard() {
  const orpc = queryUtils();
  const qc = useQueryClient();
  const toast = useUi((s) => s.toast);
  const targets = useQuery(orpc.backups.targets.queryOptions());
  const jobs = useQuery(orpc.backups.jobs.queryOptions({ input: {} }));
  const [editing, setEditing] = useState<BackupTarget | null>(null);
  const [tested, setTested] = useState<Record<string, TargetTest>>({});
  const refresh = () => void qc.invalidateQueries({ queryKey: orpc.backups.key() });
  const test = useMutation({
    mutationFn: (t: BackupTarget) => api().backups.testTarget({ id: t.id, endpoint: t.endpoint, region: t.region, bucket: t.bucket, prefix: t.prefix, pathStyle: t.pathStyle }),
    onSuccess: (r, t) => setTested((prev) => ({ ...prev, [t.id]: r })),
    onError: (e) => toast({ kind: 'error', title: 'Test failed', detail: describeError(e).message }),
  });

  const remove = async (t: BackupTarget) => {
    const using = (jobs.data ?? []).filter((j) => j.targetId === t.id);
    const keyNote = 'Its age key is deleted from this computer: backups already in the bucket can then only be restored with an exported copy of the key.';
    const answer = await ask({
      title: `Delete target ${t.name}?`,
      detail:
        using.length === 0
          ? `No schedule uses it. ${keyNote}`
          : `${using.length === 1 ? 'This schedule uses' : `These ${using.length} schedules use`} it and ${using.length === 1 ? 'is' : 'are'} deleted with it (removed from their servers' crontabs): ${using.map((j) => j.label).join(', ')}. Backups already in the bucket stay there. ${keyNote}`,
      confirmLabel: using.length === 0 ? 'Delete target' : `Delete target and ${using.length} schedule${using.length === 1 ? '' : 's'}`,
      danger: true,
    });
    if (!answer.ok) return;
    try {
      const r = await api().backups.removeTarget({ id: t.id, removeJobs: using.length > 0 });
      toast({ kind: 'success', title: `Deleted target ${t.name}`, detail: r.removedJobs.length ? `and ${r.removedJobs.length} schedule(s)` : undefined });
    } catch (e) {
      toast({ kind: 'error', title: 'Delete failed', detail: describeError(e).message });
    } finally {
      refresh();
    }
  };

  return (
    <div className="card">
      <h2>Storage targets</h2>
      <ul data-testid="targets">
        {targets.data?.map((t) => (
          <li key={t.id} data-target={t.name}>
            <div className="row">
              <span>
                <strong>{t.name}</strong> — {t.endpoint}/{t.bucket}/{t.prefix} <span className="muted small">(encrypted to {t.recipient.slice(0, 16)}…)</span>
              </span>
              <div className="spacer" />
              <div className="actions-inline">
                <button disabled={test.isPending && test.variables?.id === t.id} onClick={() => test.mutate(t)}>
                  {test.isPending && test.variables?.id === t.id ? 'Testing…' : 'Test'}
                </button>
                <button onClick={() => setEditing(t)}>Edit…</button>
                <button onClick={() => void remove(t)}>Delete…</button>
              </div>
            </div>
            {tested[t.id] && <TestResult result={tested[t.id]!} />}
          </li>
        ))}
      </ul>
      <TargetForm
        idPrefix="t"
        onSaved={() => {
          refresh();
        }}
      />
      {editing && (
        <Dialog label="Edit target" title={`Edit target ${editing.name}`} width={640} onClose={() => setEditing(null)}>
          <p className="muted small">Schedules using this target get the new settings on their servers when you save. The keys are write-only: leave them empty to keep the stored ones.</p>
          <TargetForm
            idPrefix="te"
            target={editing}
            onSaved={(t) => {
              setEditing(null);
              setTested((prev) => ({ ...prev, [t.id]: { passed: true, step: 'delete', field: null, detail: 'saved after a passing test' } }));
              refresh();
              toast({ kind: 'success', title: `Saved target ${t.name}` });
            }}
          />
        </Dialog>
      )}
    </div>
  );
}
