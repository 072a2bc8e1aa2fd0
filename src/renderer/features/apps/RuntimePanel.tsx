import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import type { App } from '../../../shared/contract/apps.ts';
import { ask } from '../../app/confirm.tsx';
import { useUi } from '../../app/store.ts';
import { describeError } from '../../lib/errors.ts';
import { api, queryUtils } from '../../lib/rpc.ts';
import { openTerminal } from '../terminals/open.ts';
import { AppLogs } from './AppLogs.tsx';
import { deployName, failedWhileServing, stateLabel } from './runtimeState.ts';

const short = (id: string | null | undefined) => (id ? id.slice(0, 10) : '');

/**
 * What the app runs now, apart from the last deploy's result: the live container's state (refreshed from Docker's
 * container events), which deploy is live and since when, each domain checked through the proxy; and the app-level
 * actions (logs, restart, stop/start, shell), which act on the live container as found at the time of the click.
 */
export function RuntimePanel({ app }: { app: App }) {
  const orpc = queryUtils();
  const qc = useQueryClient();
  const toast = useUi((s) => s.toast);
  const [logs, setLogs] = useState(false);
  const key = orpc.apps.runtime.queryOptions({ input: { id: app.id } });
  const rt = useQuery(key);
  // Docker's container events for this server (the containers watch) say when to look again.
  useEffect(() => {
    const ac = new AbortController();
    void (async () => {
      try {
        const it = await api().containers.watch({ serverIds: [app.serverId] }, { signal: ac.signal });
        for await (const _ of it) void qc.invalidateQueries({ queryKey: key.queryKey });
      } catch {
        // the page's own query shows a failure to reach the server
      }
    })();
    return () => ac.abort();
  }, [app.serverId, app.id]); // eslint-disable-line react-hooks/exhaustive-deps
  const control = useMutation({
    mutationFn: (action: 'start' | 'stop' | 'restart') => api().apps.control({ id: app.id, action }),
    onSuccess: (r) => qc.setQueryData(key.queryKey, r),
    onError: (e) => toast({ kind: 'error', title: `Could not act on ${app.name}`, detail: describeError(e).message }),
  });
  const shell = async () => {
    // The live container as it is now: a deploy since the page loaded has replaced the one shown.
    const now = await api().apps.runtime({ id: app.id }).catch((e: unknown) => {
      toast({ kind: 'error', title: 'Shell failed', detail: describeError(e).message });
      return null;
    });
    if (!now?.container) return;
    if (now.container.state !== 'running') return toast({ kind: 'error', title: 'Shell failed', detail: `${app.name} is not running (${now.container.state}); start it first.` });
    await openTerminal({ serverId: app.serverId, target: { kind: 'container', containerId: now.container.id } }, 'Shell failed');
  };
  const r = rt.data;
  const c = r?.container;
  const last = app.lastDeploy;
  const running = c?.state === 'running';
  const since = r?.liveSince ? new Date(r.liveSince).toLocaleString() : null;
  const note = r ? failedWhileServing(r, last, since) : null;

  return (
    <section className="card" aria-label="Runtime" data-testid="app-runtime">
      <div className="row">
        <h3 style={{ margin: 0 }}>Now</h3>
        {rt.isError && <span style={{ color: 'var(--err)' }}>{describeError(rt.error).message}</span>}
        {r && (
          <span className={`badge ${running ? 'ok' : 'failed'}`} data-testid="runtime-state">
            {stateLabel(r)}
          </span>
        )}
        {r && (
          <span data-testid="runtime-live">
            {r.live ? `live: ${deployName(r.live)}` : c ? `live: container ${c.name}` : 'nothing live'}
            {since && ` since ${since}`}
          </span>
        )}
        {c && c.restartCount > 0 && <span className="muted">restarted {c.restartCount}×</span>}
        <div className="spacer" />
        <button onClick={() => setLogs((v) => !v)} aria-expanded={logs} data-testid="app-logs-toggle">
          {logs ? 'Hide logs' : 'Logs'}
        </button>
        <button disabled={!c || control.isPending} data-testid="app-restart" onClick={() => void ask({ title: `Restart ${app.name}?`, detail: 'Its live container is restarted; requests fail while it starts.', confirmLabel: 'Restart' }).then((a) => a.ok && control.mutate('restart'))}>
          Restart
        </button>
        {running ? (
          <button disabled={control.isPending} data-testid="app-stop" onClick={() => void ask({ title: `Stop ${app.name}?`, detail: 'Its live container stops; the app does not answer until you start it.', confirmLabel: 'Stop', danger: true }).then((a) => a.ok && control.mutate('stop'))}>
            Stop
          </button>
        ) : (
          <button disabled={!c || control.isPending} data-testid="app-start" onClick={() => control.mutate('start')}>
            Start
          </button>
        )}
        <button disabled={!running} data-testid="app-shell" onClick={() => void shell()}>
          Shell
        </button>
      </div>
      {note && (
        <p role="status" data-testid="runtime-failed-note" style={{ color: 'var(--warn)' }}>
          {note}
        </p>
      )}
      {r && r.routes.length > 0 && (
        <ul className="row" style={{ listStyle: 'none', padding: 0, margin: '8px 0 0' }} data-testid="runtime-routes">
          {r.routes.map((x) => (
            <li key={x.url} data-testid="runtime-route">
              <a href={x.url} target="_blank" rel="noreferrer">
                {x.url}
              </a>{' '}
              <span className="muted">{x.status !== null ? `answers ${x.status}` : `not answering${x.error ? `: ${x.error}` : ''}`}</span>
            </li>
          ))}
        </ul>
      )}
      {c && <div className="muted mono" data-testid="runtime-container" data-started={c.startedAt ?? ''} data-id={c.id}>{c.name} · {short(c.id)}{c.startedAt ? ` · started ${new Date(c.startedAt).toLocaleString()}` : ''}</div>}
      {logs && <AppLogs app={app} />}
    </section>
  );
}
