import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import type { ForeignJob } from '../../../shared/contract/backup-keys.ts';
import type { BackupTarget } from '../../../shared/contract/backups.ts';
import { useUi } from '../../app/store.ts';
import { Dialog } from '../../components/Dialog.tsx';
import { api, queryUtils } from '../../lib/rpc.ts';
import { formErrors } from '../servers/fieldErrors.ts';

function ContinueDialog({ target, job, onClose }: { target: BackupTarget; job: ForeignJob; onClose(): void }) {
  const orpc = queryUtils();
  const qc = useQueryClient();
  const toast = useUi((s) => s.toast);
  const servers = useQuery(orpc.servers.list.queryOptions());
  const dbs = useQuery(orpc.databases.list.queryOptions({ input: {} }));
  const [form, setForm] = useState({ serverId: '', databaseId: '', volume: '', schedule: '0 3 * * *' });
  const [errors, setErrors] = useState<Record<string, string>>({});
  const serverId = form.serverId || servers.data?.[0]?.id || '';
  const candidates = (dbs.data ?? []).filter((d) => d.serverId === serverId && d.engine === job.kind);
  const create = useMutation({
    mutationFn: () =>
      api().backups.createJob({
        serverId,
        source: job.kind === 'volume' ? { kind: 'volume', volume: form.volume } : { kind: 'database', databaseId: form.databaseId || candidates[0]?.id || '' },
        targetId: target.id,
        schedule: form.schedule,
        adopt: job.jobId,
      }),
    onSuccess: (j) => {
      toast({ kind: 'success', title: `Continuing ${job.jobId} here`, detail: `as the schedule of ${j.label}` });
      void qc.invalidateQueries({ queryKey: orpc.backups.key() });
      onClose();
    },
    onError: (e) => setErrors(formErrors(e)),
  });
  return (
    <Dialog label="Continue backups here" title={`Continue the backups of ${job.jobId}`} width={620} onClose={onClose}>
      <p className="muted small">
        A schedule here takes over this folder: its {job.backups} backup{job.backups === 1 ? '' : 's'} are listed under it, can be verified and restored (with this target's key, imported if they were made elsewhere), and new backups go on in the same folder.
      </p>
      <form
        className="form"
        onSubmit={(e) => {
          e.preventDefault();
          create.mutate();
        }}
      >
        <label htmlFor="fj-server">Server</label>
        <select id="fj-server" value={serverId} onChange={(e) => setForm({ ...form, serverId: e.target.value })}>
          {servers.data?.map((s) => (
            <option key={s.id} value={s.id}>
              {s.name}
            </option>
          ))}
        </select>
        {job.kind === 'volume' ? (
          <>
            <label htmlFor="fj-volume">Volume</label>
            <input id="fj-volume" value={form.volume} onChange={(e) => setForm({ ...form, volume: e.target.value })} />
            {errors['source.volume'] && <span className="field-error full">{errors['source.volume']}</span>}
          </>
        ) : (
          <>
            <label htmlFor="fj-db">Database ({job.kind})</label>
            <select id="fj-db" value={form.databaseId} onChange={(e) => setForm({ ...form, databaseId: e.target.value })}>
              {candidates.map((d) => (
                <option key={d.id} value={d.id}>
                  {d.name}
                </option>
              ))}
            </select>
            {candidates.length === 0 && <span className="muted small full">No {job.kind} database on this server yet: create one (Databases) to restore into and back up.</span>}
          </>
        )}
        <label htmlFor="fj-cron">Schedule (cron)</label>
        <input id="fj-cron" value={form.schedule} onChange={(e) => setForm({ ...form, schedule: e.target.value })} />
        {errors.schedule && <span className="field-error full">{errors.schedule}</span>}
        {errors.form && <span className="field-error full">{errors.form}</span>}
        <div className="actions full">
          <button type="submit" className="primary" disabled={create.isPending}>
            Continue here
          </button>
        </div>
      </form>
    </Dialog>
  );
}

/** Backups in a target made by another computer's jobs: each can be continued (and so listed and restored) here. */
export function ForeignJobs({ target }: { target: BackupTarget }) {
  const orpc = queryUtils();
  const found = useQuery({ ...orpc.backups.foreignJobs.queryOptions({ input: { id: target.id } }), retry: false });
  const [continuing, setContinuing] = useState<ForeignJob | null>(null);
  if (!found.data?.length) return null;
  return (
    <div data-testid="foreign-jobs">
      <p className="small">Backups made elsewhere in this target:</p>
      <ul>
        {found.data.map((j) => (
          <li key={j.jobId} className="row small" data-foreign-job={j.jobId}>
            <span>
              <code>{j.jobId}</code>: {j.backups} {j.kind} backup{j.backups === 1 ? '' : 's'}, the latest from {new Date(j.latestAt).toLocaleString()}
            </span>
            <div className="spacer" />
            <button onClick={() => setContinuing(j)}>Continue here…</button>
          </li>
        ))}
      </ul>
      {continuing && <ContinueDialog target={target} job={continuing} onClose={() => setContinuing(null)} />}
    </div>
  );
}
