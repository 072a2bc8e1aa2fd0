import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import type { ActiveAlert } from '../../../shared/contract/alerting.ts';
import { useUi } from '../../app/store.ts';
import { EmptyState } from '../../components/EmptyState.tsx';
import { describeError } from '../../lib/errors.ts';
import { api, queryUtils } from '../../lib/rpc.ts';
import { ALWAYS_FIRING, alertText, alertTitle } from './alert-text.ts';

const HISTORY_HOURS = 24;
/** Alertmanager allows at most 20 matchers per silence; labels beyond say nothing new about the alert. */
const MAX_MATCHERS = 20;

/** A silence of exactly this alert: every label of it must match. */
export function muteMatchers(a: Pick<ActiveAlert, 'labels'>) {
  return Object.entries(a.labels)
    .slice(0, MAX_MATCHERS)
    .map(([name, value]) => ({ name, value, isRegex: false, isEqual: true }));
}

/** What fires on the server now (mute 1 h from here) and what fired over the last day. */
export function AlertsCard({ serverId, serverName }: { serverId: string; serverName: string }) {
  const orpc = queryUtils();
  const qc = useQueryClient();
  const toast = useUi((s) => s.toast);
  const [since] = useState(() => Date.now() - HISTORY_HOURS * 3_600_000);
  const now = useQuery({ ...orpc.alerting.alerts.queryOptions({ input: { serverId } }), refetchInterval: 5_000, retry: false });
  const history = useQuery({ ...orpc.alerting.history.queryOptions({ input: { serverId, since } }), refetchInterval: 15_000, retry: false });
  const mute = useMutation({
    mutationFn: (a: ActiveAlert) => api().alerting.createSilence({ serverId, matchers: muteMatchers(a), durationMinutes: 60, comment: `Muted for 1 h from OpenPanel: ${alertTitle(a.name)}` }),
    onSuccess: (_r, a) => {
      toast({ kind: 'success', title: `${alertTitle(a.name)} muted for 1 h` });
      void qc.invalidateQueries({ queryKey: orpc.alerting.key() });
    },
    onError: (e) => toast({ kind: 'error', title: 'Could not mute', detail: describeError(e).message }),
  });
  const alerts = (now.data ?? []).filter((a) => !ALWAYS_FIRING.has(a.name));
  const episodes = (history.data ?? []).filter((e) => !ALWAYS_FIRING.has(e.name)).sort((a, b) => b.from - a.from);
  return (
    <div className="card" data-testid="watch-alerts">
      <h2>Alerts now</h2>
      {now.error && (
        <p className="field-error" role="alert">
          {describeError(now.error).message}
        </p>
      )}
      {alerts.length === 0 ? (
        !now.error && <EmptyState title="Nothing is firing." hint={`Alerts of ${serverName} show here as they fire, and reach your channels also while OpenPanel is closed.`} testId="alerts-empty" />
      ) : (
        <ul className="alert-list" data-testid="alerts-now">
          {alerts.map((a) => (
            <li key={a.fingerprint} data-alert={a.name} data-state={a.state} data-fingerprint={a.fingerprint}>
              <strong>{alertTitle(a.name)}</strong> {a.severity && <span className={`badge ${a.severity === 'critical' ? 'failed' : 'warn'}`}>{a.severity}</span>} {alertText(a.name, a.labels, serverName, a.summary)}{' '}
              <span className="muted small">since {new Date(a.startsAt).toLocaleString()}</span>{' '}
              {a.state === 'suppressed' ? (
                <span className="badge" data-testid="alert-muted">
                  muted
                </span>
              ) : (
                <button className="small-button" onClick={() => mute.mutate(a)} disabled={mute.isPending} aria-label={`Mute 1 h: ${alertTitle(a.name)}`} data-testid="alert-mute">
                  Mute 1 h
                </button>
              )}
            </li>
          ))}
        </ul>
      )}
      <h2>History (last {HISTORY_HOURS} h)</h2>
      {history.error && (
        <p className="field-error" role="alert">
          {describeError(history.error).message}
        </p>
      )}
      {episodes.length === 0 ? (
        !history.error && <p className="muted">Nothing fired in the last {HISTORY_HOURS} hours.</p>
      ) : (
        <table className="table" data-testid="alerts-history">
          <caption className="sr-only">Alerts that fired in the last {HISTORY_HOURS} hours</caption>
          <thead>
            <tr>
              <th>Alert</th>
              <th>What</th>
              <th>From</th>
              <th>To</th>
            </tr>
          </thead>
          <tbody>
            {episodes.map((e) => (
              <tr key={`${e.name}|${JSON.stringify(e.labels)}|${e.from}`} data-alert={e.name}>
                <td>{alertTitle(e.name)}</td>
                <td>{alertText(e.name, e.labels, serverName)}</td>
                <td>{new Date(e.from).toLocaleString()}</td>
                <td>{e.to === null ? <span className="badge failed">firing</span> : new Date(e.to).toLocaleString()}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
