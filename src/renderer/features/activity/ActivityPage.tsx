import { useQuery, useQueryClient } from '@tanstack/react-query';
import { Fragment, useMemo, useState } from 'react';
import type { AuditEntry } from '../../../shared/contract/activity.ts';
import { api, queryUtils } from '../../lib/rpc.ts';
import { useSubscription } from '../../lib/subscription.ts';
import { DOMAIN_WORDS, dayOf, describeEntry, type Entity } from './describe.ts';
import { EmptyState } from '../../components/EmptyState.tsx';

/** Every entity the audit log can name, by id, as the app knows it now. */
function useEntities(): Map<string, Entity> {
  const orpc = queryUtils();
  const servers = useQuery(orpc.servers.list.queryOptions());
  const apps = useQuery(orpc.apps.list.queryOptions({ input: {} }));
  const dbs = useQuery(orpc.databases.list.queryOptions({ input: {} }));
  const jobs = useQuery(orpc.backups.jobs.queryOptions({ input: {} }));
  const targets = useQuery(orpc.backups.targets.queryOptions());
  return useMemo(() => {
    const m = new Map<string, Entity>();
    for (const s of servers.data ?? []) m.set(s.id, { kind: 'server', name: s.name, serverId: s.id });
    for (const a of apps.data ?? []) m.set(a.id, { kind: 'app', name: a.name, serverId: a.serverId });
    for (const d of dbs.data ?? []) m.set(d.id, { kind: 'database', name: d.name, serverId: d.serverId });
    for (const j of jobs.data ?? []) m.set(j.id, { kind: 'backup job', name: j.label, serverId: j.serverId });
    for (const t of targets.data ?? []) m.set(t.id, { kind: 'backup target', name: t.name, serverId: null });
    return m;
  }, [servers.data, apps.data, dbs.data, jobs.data, targets.data]);
}

export function ActivityPage() {
  const orpc = queryUtils();
  const qc = useQueryClient();
  const [domain, setDomain] = useState('');
  const [serverId, setServerId] = useState('');
  const [appId, setAppId] = useState('');
  const [failedOnly, setFailedOnly] = useState(false);
  const list = useQuery(orpc.activity.list.queryOptions({ input: { limit: 500, ...(domain ? { action: `${domain}.` } : {}) } }));
  const entities = useEntities();

  // Live: new entries arrive through a stream, cancelled when the page is left.
  useSubscription(
    (signal) => api().activity.watch(undefined, { signal }),
    (entry: AuditEntry) => {
      qc.setQueriesData<AuditEntry[]>({ queryKey: orpc.activity.list.key() }, (old) => (old ? [entry, ...old.filter((e) => e.id !== entry.id)] : [entry]));
      // A change made elsewhere may have renamed or removed what the rows name.
      if (entry.result === 'ok') for (const key of [orpc.servers.list.key(), orpc.apps.list.key(), orpc.databases.list.key(), orpc.backups.jobs.key(), orpc.backups.targets.key()]) void qc.invalidateQueries({ queryKey: key });
    },
    [],
  );

  const rows = useMemo(
    () =>
      (list.data ?? [])
        .map((e) => ({ e, d: describeEntry(e, entities) }))
        .filter(({ e, d }) => (!serverId || d.serverId === serverId) && (!appId || d.appId === appId) && (!failedOnly || e.result === 'error'))
        .sort((a, b) => b.e.at - a.e.at || b.e.id - a.e.id)
        .map((row, i, all) => ({ ...row, day: dayOf(row.e.at), heading: i === 0 || dayOf(all[i - 1]!.e.at) !== dayOf(row.e.at) })),
    [list.data, entities, serverId, appId, failedOnly],
  );
  const servers = [...entities].filter(([, v]) => v.kind === 'server');
  const apps = [...entities].filter(([, v]) => v.kind === 'app' && (!serverId || v.serverId === serverId));

  return (
    <section>
      <h1>Activity</h1>
      <p className="muted">Every change made through OpenPanel, from any window or browser, newest first. Secret values are never recorded.</p>
      <div className="toolbar" role="group" aria-label="Filters">
        <select aria-label="Filter by kind" value={domain} onChange={(e) => setDomain(e.target.value)}>
          <option value="">All kinds</option>
          {Object.entries(DOMAIN_WORDS).map(([k, v]) => (
            <option key={k} value={k}>
              {v}
            </option>
          ))}
        </select>
        <select aria-label="Filter by server" value={serverId} onChange={(e) => (setServerId(e.target.value), setAppId(''))}>
          <option value="">All servers</option>
          {servers.map(([id, s]) => (
            <option key={id} value={id}>
              {s.name}
            </option>
          ))}
        </select>
        <select aria-label="Filter by app" value={appId} onChange={(e) => setAppId(e.target.value)}>
          <option value="">All apps</option>
          {apps.map(([id, a]) => (
            <option key={id} value={id}>
              {a.name}
            </option>
          ))}
        </select>
        <label>
          <input type="checkbox" checked={failedOnly} onChange={(e) => setFailedOnly(e.target.checked)} /> Failed only
        </label>
      </div>
      {list.isLoading ? (
        <p>Loading…</p>
      ) : rows.length > 0 ? (
        <table className="table" data-testid="activity-table">
          <thead>
            <tr>
              <th>When</th>
              <th>What</th>
              <th>Who</th>
              <th>Result</th>
              <th>Details</th>
            </tr>
          </thead>
          <tbody>
            {rows.map(({ e, d, day, heading }) => {
              return (
                <Fragment key={e.id}>
                  {heading && (
                    <tr className="day-heading">
                      <th colSpan={5} scope="rowgroup">
                        {day}
                      </th>
                    </tr>
                  )}
                  <tr data-action={e.action} data-server={d.serverId ?? ''}>
                    <td title={new Date(e.at).toISOString()}>{new Date(e.at).toLocaleTimeString()}</td>
                    <td data-testid="activity-text">{d.text}</td>
                    <td>{e.actor === 'desktop' ? 'This computer' : e.actor.replace(/^web:/, 'Browser at ')}</td>
                    <td>
                      <span className={`badge ${e.result}`}>{e.result === 'ok' ? 'done' : `failed: ${e.errorCode ?? 'error'}`}</span>
                    </td>
                    <td>
                      <details>
                        <summary className="muted small">
                          <code>{e.action}</code> · {e.durationMs} ms
                        </summary>
                        <pre className="mono small">{e.input}</pre>
                      </details>
                    </td>
                  </tr>
                </Fragment>
              );
            })}
          </tbody>
        </table>
      ) : (
        list.data?.length ? (
          <EmptyState title="Nothing matches these filters." hint="Clear a filter to see more." />
        ) : (
          <EmptyState title="No activity yet." hint="Changes you make (adding a server, deploying an app, running a backup) are listed here: start by adding a server." action={<a className="button-link" href="#/servers">Go to Servers</a>} />
        )
      )}
    </section>
  );
}
