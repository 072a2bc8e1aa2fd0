import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import type { BackupJob } from '../../../shared/contract/backups.ts';
import { Dialog } from '../../components/Dialog.tsx';
import { api, queryUtils } from '../../lib/rpc.ts';
import { formErrors } from '../servers/fieldErrors.ts';

const count = (v: string) => (v.trim() === '' ? null : Number(v));

/** Edits a schedule (cron, retention, target); saving rewrites the job on its server (crontab and job file). */
export function JobEditDialog({ job, onClose }: { job: BackupJob; onClose(): void }) {
  const orpc = queryUtils();
  const qc = useQueryClient();
  const targets = useQuery(orpc.backups.targets.queryOptions());
  const [form, setForm] = useState({ schedule: job.schedule, keepLast: job.keepLast?.toString() ?? '', keepDays: job.keepDays?.toString() ?? '', targetId: job.targetId });
  const [errors, setErrors] = useState<Record<string, string>>({});
  const save = useMutation({
    mutationFn: () => api().backups.updateJob({ id: job.id, schedule: form.schedule, retention: { keepLast: count(form.keepLast), keepDays: count(form.keepDays) }, targetId: form.targetId }),
    onSuccess: () => {
      void qc.invalidateQueries({ queryKey: orpc.backups.key() });
      onClose();
    },
    onError: (e) => setErrors(formErrors(e)),
  });
  const err = (k: string) => errors[k] && <span className="field-error">{errors[k]}</span>;
  return (
    <Dialog label="Edit schedule" title={`Edit the schedule of ${job.label}`} width={600} onClose={onClose}>
      <form
        className="form"
        aria-label="Edit schedule"
        onSubmit={(e) => {
          e.preventDefault();
          save.mutate();
        }}
      >
        <label htmlFor="je-cron">Schedule (cron, UTC)</label>
        <input id="je-cron" value={form.schedule} onChange={(e) => setForm({ ...form, schedule: e.target.value })} autoComplete="off" />
        {err('schedule')}
        <label htmlFor="je-keep">Keep last</label>
        <input id="je-keep" value={form.keepLast} onChange={(e) => setForm({ ...form, keepLast: e.target.value })} inputMode="numeric" placeholder="all" />
        {err('retention.keepLast')}
        <label htmlFor="je-days">Keep days</label>
        <input id="je-days" value={form.keepDays} onChange={(e) => setForm({ ...form, keepDays: e.target.value })} inputMode="numeric" placeholder="no limit" />
        {err('retention.keepDays')}
        <label htmlFor="je-target">Target</label>
        <select id="je-target" value={form.targetId} onChange={(e) => setForm({ ...form, targetId: e.target.value })}>
          {targets.data?.map((t) => (
            <option key={t.id} value={t.id}>
              {t.name}
            </option>
          ))}
        </select>
        {err('targetId')}
        {form.targetId !== job.targetId && <p className="muted small full">New backups go to the new target; earlier ones stay in the old target and are no longer listed here.</p>}
        {errors.form && <p className="field-error full">{errors.form}</p>}
        <div className="actions full">
          <button type="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="primary" disabled={save.isPending}>
            {save.isPending ? 'Saving on the server…' : 'Save schedule'}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
