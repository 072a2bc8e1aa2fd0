import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api, queryUtils } from '../../lib/rpc.ts';
import { formErrors } from '../servers/fieldErrors.ts';
import { JobCard } from './JobCard.tsx';
import { KeyCard } from './KeyCard.tsx';
import { TargetsCard } from './TargetsCard.tsx';
import { EmptyState } from '../../components/EmptyState.tsx';

function NewJob() {
  const orpc = queryUtils();
  const qc = useQueryClient();
  const dbs = useQuery(orpc.databases.list.queryOptions({ input: {} }));
  const targets = useQuery(orpc.backups.targets.queryOptions());
  const [form, setForm] = useState({ databaseId: '', targetId: '', schedule: '0 3 * * *', keepLast: '7' });
  const [errors, setErrors] = useState<Record<string, string>>({});
  const create = useMutation({
    mutationFn: () => {
      const db = dbs.data?.find((d) => d.id === (form.databaseId || dbs.data?.[0]?.id));
      return api().backups.createJob({
        serverId: db?.serverId ?? '',
        source: { kind: 'database', databaseId: db?.id ?? '' },
        targetId: form.targetId || targets.data?.[0]?.id || '',
        schedule: form.schedule,
        retention: { keepLast: form.keepLast ? Number(form.keepLast) : null, keepDays: null },
      });
    },
    onSuccess: () => {
      setErrors({});
      void qc.invalidateQueries({ queryKey: orpc.backups.key() });
    },
    onError: (e) => setErrors(formErrors(e)),
  });
  return (
    <form
      className="card form"
      aria-label="New backup schedule"
      onSubmit={(e) => {
        e.preventDefault();
        create.mutate();
      }}
    >
      <h2 className="full">Schedule a backup</h2>
      <label htmlFor="j-db">Database</label>
      <select id="j-db" value={form.databaseId} onChange={(e) => setForm({ ...form, databaseId: e.target.value })}>
        {dbs.data?.map((d) => (
          <option key={d.id} value={d.id}>
            {d.name}
          </option>
        ))}
      </select>
      <label htmlFor="j-target">Target</label>
      <select id="j-target" value={form.targetId} onChange={(e) => setForm({ ...form, targetId: e.target.value })}>
        {targets.data?.map((t) => (
          <option key={t.id} value={t.id}>
            {t.name}
          </option>
        ))}
      </select>
      <label htmlFor="j-cron">Schedule (cron)</label>
      <input id="j-cron" value={form.schedule} onChange={(e) => setForm({ ...form, schedule: e.target.value })} />
      {errors.schedule && <span className="field-error">{errors.schedule}</span>}
      <label htmlFor="j-keep">Keep last</label>
      <input id="j-keep" value={form.keepLast} onChange={(e) => setForm({ ...form, keepLast: e.target.value })} inputMode="numeric" />
      {errors.form && <p className="field-error full">{errors.form}</p>}
      <div className="actions full">
        <button type="submit">Create schedule</button>
      </div>
    </form>
  );
}

export function BackupsPage() {
  const orpc = queryUtils();
  const jobs = useQuery(orpc.backups.jobs.queryOptions({ input: {} }));
  const serverIds = [...new Set((jobs.data ?? []).map((j) => j.serverId))];
  const statuses = useQuery({
    queryKey: ['backup-status', serverIds],
    queryFn: async () => (await Promise.all(serverIds.map((id) => api().backups.status({ serverId: id }).catch(() => [])))).flat(),
    enabled: serverIds.length > 0,
  });
  return (
    <section>
      <h1>Backups</h1>
      <p className="muted">Backups run on the server on their schedule, even when OpenPanel is closed. Each is dumped, compressed, encrypted with age to a key only your keychain holds, and streamed to S3.</p>
      <TargetsCard />
      <KeyCard />
      <NewJob />
      {jobs.data?.length === 0 && <EmptyState title="No backup schedules yet." hint="Add an S3 target above, then a schedule for one of your databases: it runs on the server, even while OpenPanel is closed." />}
      {jobs.data?.map((j) => (
        <JobCard key={j.id} job={j} lastRun={statuses.data?.find((s) => s.jobId === j.id)} />
      ))}
    </section>
  );
}
