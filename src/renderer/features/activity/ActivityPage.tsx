import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import type { AuditEntry } from '../../../shared/contract/activity.ts';
import { api, queryUtils } from '../../lib/rpc.ts';
import { useSubscription } from '../../lib/subscription.ts';

export function ActivityPage() {
  const orpc = queryUtils();
  const qc = useQueryClient();
  const [filter, setFilter] = useState('');
  const list = useQuery(orpc.activity.list.queryOptions({ input: { limit: 200, ...(filter ? { action: filter } : {}) } }));

  // Live: new entries arrive through a stream, cancelled when the page is left.
  useSubscription(
    (signal) => api().activity.watch(undefined, { signal }),
    (entry: AuditEntry) => qc.setQueriesData<AuditEntry[]>({ queryKey: orpc.activity.list.key() }, (old) => (old ? [entry, ...old.filter((e) => e.id !== entry.id)] : [entry])),
    [],
  );

  return (
    <section>
      <h1>Activity</h1>
      <p className="muted">Every change made through OpenPanel, from any window or browser. Secret values are never recorded.</p>
      <input className="filter" placeholder="Filter by action (e.g. settings.)" value={filter} onChange={(e) => setFilter(e.target.value)} aria-label="Filter by action" />
      {list.isLoading ? (
        <p>Loading…</p>
      ) : list.data && list.data.length > 0 ? (
        <table className="table" data-testid="activity-table">
          <thead>
            <tr>
              <th>When</th>
              <th>Action</th>
              <th>Target</th>
              <th>Who</th>
              <th>Result</th>
              <th>Input</th>
            </tr>
          </thead>
          <tbody>
            {list.data.map((e) => (
              <tr key={e.id} data-action={e.action}>
                <td title={new Date(e.at).toISOString()}>{new Date(e.at).toLocaleString()}</td>
                <td>
                  <code>{e.action}</code>
                </td>
                <td>{e.target ?? '—'}</td>
                <td>{e.actor}</td>
                <td>
                  <span className={`badge ${e.result}`}>{e.result === 'ok' ? 'ok' : e.errorCode}</span>
                </td>
                <td className="mono small">{e.input}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : (
        <div className="empty-state">No activity yet.</div>
      )}
    </section>
  );
}
