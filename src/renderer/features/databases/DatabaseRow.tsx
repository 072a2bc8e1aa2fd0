import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import type { ManagedDatabase } from '../../../shared/contract/databases.ts';
import { engineLabel } from '../../../shared/contract/engines.ts';
import { useUi } from '../../app/store.ts';
import { confirmDialog } from '../../app/confirm.tsx';
import { describeError } from '../../lib/errors.ts';
import { api, queryUtils } from '../../lib/rpc.ts';

/** Copies a value read on click (the password only then, through `databases.connection`); it is never shown. */
async function copy(what: string, read: () => Promise<string> | string, toast: ReturnType<typeof useUi.getState>['toast']): Promise<void> {
  try {
    await navigator.clipboard.writeText(await read());
    toast({ kind: 'success', title: `${what} copied` });
  } catch (e) {
    toast({ kind: 'error', title: `Could not copy the ${what.toLowerCase()}`, detail: describeError(e).message });
  }
}

export function DatabaseRow({ db, serverName }: { db: ManagedDatabase; serverName: string }) {
  const qc = useQueryClient();
  const orpc = queryUtils();
  const toast = useUi((s) => s.toast);
  const [conn, setConn] = useState<string | null>(null);
  const jobs = useQuery(orpc.backups.jobs.queryOptions({ input: { serverId: db.serverId } }));
  const forwards = useQuery(orpc.forwards.list.queryOptions());
  const forward = forwards.data?.find((f) => f.serverId === db.serverId && f.remotePort === db.hostPort);
  const backupJobs = (jobs.data ?? []).filter((j) => j.source.kind === 'database' && j.source.databaseId === db.id);
  const connection = () => api().databases.connection({ id: db.id });
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
      <td data-testid="db-server">
        <a href={`#/servers/${db.serverId}`}>{serverName}</a>
        {db.cluster && (
          <div className="small muted" data-testid="db-cluster">
            cluster node (pinned)
          </div>
        )}
      </td>
      <td>
        <span className={`badge ${db.state === 'running' ? 'ok' : ''}`} data-testid="db-state">
          {db.state}
        </span>
        {db.cluster?.reason && (
          <div className="small muted" data-testid="db-state-reason">
            {db.cluster.reason}
          </div>
        )}
      </td>
      <td>{db.version ?? '—'}</td>
      <td className="small mono" style={{ maxWidth: 360, wordBreak: 'break-all' }}>
        {conn ?? (
          <button onClick={() => void connection().then((c) => setConn(c.internalUrl))} data-testid="show-connection">
            Show connection string
          </button>
        )}
        <div className="actions-inline" aria-label={`Copy connection details of ${db.name}`} role="group">
          <button className="small-button" data-testid="copy-url" onClick={() => void copy('Connection string', async () => (await connection()).internalUrl, toast)}>
            Copy URL
          </button>
          <button className="small-button" data-testid="copy-host" onClick={() => void copy('Host and port', async () => { const c = await connection(); return `${c.host}:${c.port}`; }, toast)}>
            Copy host:port
          </button>
          <button className="small-button" data-testid="copy-user" onClick={() => void copy('User', () => db.username, toast)}>
            Copy user
          </button>
          <button className="small-button" data-testid="copy-password" onClick={() => void copy('Password', async () => (await connection()).password, toast)}>
            Copy password
          </button>
        </div>
        {forward && (
          <div data-testid="db-forward">
            Forwarded to <span className="mono">127.0.0.1:{forward.localPort}</span> · <a href="#/forwards">Forwards</a>
          </div>
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
                void qc.invalidateQueries({ queryKey: orpc.forwards.key() });
                toast({ kind: 'success', title: 'Forwarded to this computer', detail: `${r.url}\nListed under Forwards, where you can close it.` });
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
