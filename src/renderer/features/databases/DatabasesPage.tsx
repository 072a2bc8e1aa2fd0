import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import type { DatabaseEngine, ManagedDatabase } from '../../../shared/contract/databases.ts';
import { ENGINE_CATALOGUE, ENGINE_LIST, engineLabel } from '../../../shared/contract/engines.ts';
import { useUi } from '../../app/store.ts';
import { describeError } from '../../lib/errors.ts';
import { api, queryUtils } from '../../lib/rpc.ts';
import { formErrors } from '../servers/fieldErrors.ts';
import { confirmDialog } from '../../app/confirm.tsx';

function CreateDatabase({ onDone }: { onDone(): void }) {
  const orpc = queryUtils();
  const servers = useQuery(orpc.servers.list.queryOptions());
  const [form, setForm] = useState({ serverId: '', engine: 'postgres' as DatabaseEngine, name: '', version: ENGINE_CATALOGUE.postgres.defaultVersion, memoryMb: '' });
  const [errors, setErrors] = useState<Record<string, string>>({});
  const create = useMutation({
    mutationFn: () =>
      api().databases.create({
        serverId: form.serverId || servers.data?.[0]?.id || '',
        engine: form.engine,
        name: form.name,
        version: form.version,
        limits: { memoryMb: form.memoryMb ? Number(form.memoryMb) : null, cpus: null },
      }),
    onSuccess: onDone,
    onError: (e) => setErrors(formErrors(e)),
  });
  return (
    <form
      className="card form"
      aria-label="New database"
      onSubmit={(e) => {
        e.preventDefault();
        create.mutate();
      }}
    >
      <h2 className="full">New database</h2>
      <label htmlFor="db-engine">Engine</label>
      <select
        id="db-engine"
        value={form.engine}
        onChange={(e) => {
          const engine = ENGINE_LIST.find((x) => x.engine === e.target.value) ?? ENGINE_CATALOGUE.postgres;
          setForm({ ...form, engine: engine.engine, version: engine.defaultVersion });
        }}
      >
        {ENGINE_LIST.map((e) => (
          <option key={e.engine} value={e.engine}>
            {e.label} ({e.repo}:{e.defaultVersion})
          </option>
        ))}
      </select>
      <label htmlFor="db-server">Server</label>
      <select id="db-server" value={form.serverId} onChange={(e) => setForm({ ...form, serverId: e.target.value })}>
        {servers.data?.map((s) => (
          <option key={s.id} value={s.id}>
            {s.name}
          </option>
        ))}
      </select>
      <label htmlFor="db-name">Name</label>
      <input id="db-name" value={form.name} onChange={(e) => setForm({ ...form, name: e.target.value })} placeholder="shop_db" />
      {errors.name && <span className="field-error">{errors.name}</span>}
      <label htmlFor="db-version">Version</label>
      <input id="db-version" value={form.version} onChange={(e) => setForm({ ...form, version: e.target.value })} />
      {errors.version && <span className="field-error">{errors.version}</span>}
      <label htmlFor="db-mem">Memory limit (MB)</label>
      <input id="db-mem" value={form.memoryMb} onChange={(e) => setForm({ ...form, memoryMb: e.target.value })} placeholder="none" inputMode="numeric" />
      {errors['limits.memoryMb'] && <span className="field-error">{errors['limits.memoryMb']}</span>}
      {errors.form && <p className="field-error full">{errors.form}</p>}
      <div className="actions full">
        <button type="submit" disabled={create.isPending}>
          {create.isPending ? 'Creating…' : 'Create database'}
        </button>
      </div>
    </form>
  );
}

function DatabaseRow({ db }: { db: ManagedDatabase }) {
  const qc = useQueryClient();
  const orpc = queryUtils();
  const toast = useUi((s) => s.toast);
  const [conn, setConn] = useState<string | null>(null);
  const jobs = useQuery(orpc.backups.jobs.queryOptions({ input: { serverId: db.serverId } }));
  const backupJobs = (jobs.data ?? []).filter((j) => j.source.kind === 'database' && j.source.databaseId === db.id);
  const act = async (what: string, fn: () => Promise<unknown>) => {
    try {
      await fn();
      void qc.invalidateQueries({ queryKey: orpc.databases.key() });
    } catch (e) {
      toast({ kind: 'error', title: `${what} failed`, detail: describeError(e).message });
    }
  };
  return (
    <tr data-database={db.name}>
      <td>
        <strong>{db.name}</strong>
        <div className="small muted" data-testid="db-engine">
          {engineLabel(db.engine)} · {db.resolvedImage}
        </div>
      </td>
      <td>
        <span className={`badge ${db.state === 'running' ? 'ok' : ''}`} data-testid="db-state">
          {db.state}
        </span>
      </td>
      <td>{db.version ?? '—'}</td>
      <td className="small mono" style={{ maxWidth: 360, wordBreak: 'break-all' }}>
        {conn ?? (
          <button onClick={() => void api().databases.connection({ id: db.id }).then((c) => setConn(c.internalUrl))} data-testid="show-connection">
            Show connection string
          </button>
        )}
      </td>
      <td>
        <div className="actions-inline">
          {db.state === 'running' ? <button onClick={() => void act('Stop', () => api().databases.stop({ id: db.id }))}>Stop</button> : <button onClick={() => void act('Start', () => api().databases.start({ id: db.id }))}>Start</button>}
          <button onClick={() => void act('Restart', () => api().databases.restart({ id: db.id }))}>Restart</button>
          <button
            onClick={() =>
              void act('Local access', async () => {
                const r = await api().databases.openLocal({ id: db.id });
                toast({ kind: 'success', title: 'Forwarded to this computer', detail: r.url });
              })
            }
          >
            Open locally
          </button>
          {db.containerId && (
            <a className="button-link" href={`#/logs?server=${db.serverId}&containers=${db.containerId}`}>
              Logs
            </a>
          )}
          <button
            onClick={() => {
              const n = backupJobs.length;
              const question =
                n > 0
                  ? `Its data volume is deleted too. A final backup runs first (${n} backup job${n > 1 ? 's' : ''}); nothing is deleted if it fails.`
                  : 'Its data volume is deleted too. It has no backup job, so no final backup can be made (set one up under Backups first to keep its data).';
              void confirmDialog({ title: `Delete database ${db.name}?`, detail: question, confirmLabel: 'Delete database', danger: true }).then((ok) => {
                if (!ok) return;
                void act('Delete', async () => {
                  const r = await api().databases.remove({ id: db.id, removeVolume: true, finalBackup: n > 0 });
                  if (r.finalBackups.length > 0) toast({ kind: 'success', title: `Final backup of ${db.name} made`, detail: r.finalBackups.join('\n') });
                });
              });
            }}
          >
            Delete
          </button>
        </div>
      </td>
    </tr>
  );
}

export function DatabasesPage() {
  const orpc = queryUtils();
  const qc = useQueryClient();
  const list = useQuery(orpc.databases.list.queryOptions({ input: {} }));
  const [creating, setCreating] = useState(false);
  return (
    <section>
      <div className="row">
        <h1 style={{ marginBottom: 0 }}>Databases</h1>
        <div className="spacer" />
        <button className="primary" onClick={() => setCreating((c) => !c)}>
          New database
        </button>
      </div>
      <p className="muted">PostgreSQL, MariaDB, MySQL, Redis and MongoDB on your servers: a persistent volume, a generated password in your keychain, a private network for apps, and local access over SSH.</p>
      {creating && (
        <CreateDatabase
          onDone={() => {
            setCreating(false);
            void qc.invalidateQueries({ queryKey: orpc.databases.key() });
          }}
        />
      )}
      {list.data && list.data.length > 0 ? (
        <table className="table" data-testid="databases-table">
          <thead>
            <tr>
              <th>Database</th>
              <th>State</th>
              <th>Version</th>
              <th>Connection</th>
              <th>Actions</th>
            </tr>
          </thead>
          <tbody>
            {list.data.map((db) => (
              <DatabaseRow key={db.id} db={db} />
            ))}
          </tbody>
        </table>
      ) : (
        <div className="empty-state">No databases yet.</div>
      )}
    </section>
  );
}
