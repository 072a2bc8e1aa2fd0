import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import type { App, WebhookWithSecret } from '../../../shared/contract/apps.ts';
import { api, queryUtils } from '../../lib/rpc.ts';
import { formErrors } from '../servers/fieldErrors.ts';

function Copy({ text, label }: { text: string; label: string }) {
  const [done, setDone] = useState(false);
  return (
    <button
      type="button"
      className="small-button"
      aria-label={`Copy ${label}`}
      onClick={() => {
        void navigator.clipboard?.writeText(text).then(() => {
          setDone(true);
          setTimeout(() => setDone(false), 1500);
        });
      }}
    >
      {done ? 'Copied' : 'Copy'}
    </button>
  );
}

/**
 * Push-to-deploy for one app: turn the receiver on with a host name routed by the proxy, copy the payload URL and
 * the secret (shown once, after turning on or rotating), see recent deliveries and why any was refused.
 */
export function WebhookPanel({ app }: { app: App }) {
  const orpc = queryUtils();
  const qc = useQueryClient();
  const hook = useQuery(orpc.apps.webhook.get.queryOptions({ input: { id: app.id } }));
  const on = hook.data?.enabled ?? false;
  const deliveries = useQuery({ ...orpc.apps.webhook.deliveries.queryOptions({ input: { id: app.id, limit: 20 } }), enabled: on, refetchInterval: 15_000, retry: false });
  const [host, setHost] = useState('');
  const [tls, setTls] = useState(true);
  const [shown, setShown] = useState<WebhookWithSecret | null>(null);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const refresh = () => {
    void qc.invalidateQueries({ queryKey: orpc.apps.webhook.key() });
    void qc.invalidateQueries({ queryKey: orpc.apps.deploys.key() });
  };
  const done = (w: WebhookWithSecret | null) => {
    setShown(w);
    setErrors({});
    refresh();
  };
  const onError = (e: unknown) => setErrors(formErrors(e));
  const enable = useMutation({ mutationFn: () => api().apps.webhook.enable({ id: app.id, host: host.trim(), tls }), onSuccess: done, onError });
  const rotate = useMutation({ mutationFn: () => api().apps.webhook.rotate({ id: app.id }), onSuccess: done, onError });
  const disable = useMutation({ mutationFn: () => api().apps.webhook.disable({ id: app.id }), onSuccess: () => done(null), onError });
  // Reading the deliveries imports the deploys they started: show those in the history and the app list.
  useEffect(() => {
    if (!deliveries.dataUpdatedAt) return;
    void qc.invalidateQueries({ queryKey: orpc.apps.deploys.key() });
    void qc.invalidateQueries({ queryKey: orpc.apps.list.key() });
  }, [deliveries.dataUpdatedAt]); // eslint-disable-line react-hooks/exhaustive-deps

  if (app.source.kind !== 'git') return null;
  return (
    <section className="webhook-panel" data-testid="webhook-panel">
      <h3>Push to deploy</h3>
      {!on ? (
        <form
          className="row"
          onSubmit={(e) => {
            e.preventDefault();
            enable.mutate();
          }}
        >
          <label className="field">
            Webhook host (a DNS name pointing at this server, routed by its proxy)
            <input value={host} onChange={(e) => setHost(e.target.value)} placeholder="hooks.example.com" aria-label="Webhook host" data-testid="webhook-host" />
            {errors.host && <span className="error-text">{errors.host}</span>}
          </label>
          <label>
            <input type="checkbox" checked={tls} onChange={(e) => setTls(e.target.checked)} /> HTTPS
          </label>
          <button className="primary" type="submit" disabled={enable.isPending} data-testid="webhook-enable">
            {enable.isPending ? 'Starting the receiver…' : 'Turn on'}
          </button>
        </form>
      ) : (
        <div className="row">
          <span>
            Payload URL <code data-testid="webhook-url">{hook.data?.url}</code>
          </span>
          <Copy text={hook.data?.url ?? ''} label="payload URL" />
          <div className="spacer" />
          <button onClick={() => rotate.mutate()} disabled={rotate.isPending} data-testid="webhook-rotate">
            New secret
          </button>
          <button onClick={() => disable.mutate()} disabled={disable.isPending} data-testid="webhook-disable">
            Turn off
          </button>
        </div>
      )}
      {errors.form && <div className="error-text">{errors.form}</div>}
      {shown?.secret && on && (
        <div className="webhook-secret" data-testid="webhook-secret" style={{ margin: '8px 0' }}>
          <div className="row">
            <span>
              Secret <code>{shown.secret}</code>
            </span>
            <Copy text={shown.secret} label="secret" />
            <button className="small-button" onClick={() => setShown(null)}>
              Hide
            </button>
          </div>
          <div className="muted">
            Shown once: it stays in your keychain and on the server only. GitHub and Gitea/Forgejo: Payload URL above, content type
            application/json, this Secret, push events. GitLab: URL above, this as the Secret token, push events. Only pushes to {app.source.branch} deploy.
          </div>
        </div>
      )}
      {on && hook.data?.syncError && <div className="error-text">Could not read the deliveries on the server: {hook.data.syncError}</div>}
      {on && (
        <table className="table" data-testid="webhook-deliveries">
          <thead>
            <tr>
              <th>When</th>
              <th>From</th>
              <th>Event</th>
              <th>Result</th>
              <th>Why</th>
              <th>Commit</th>
            </tr>
          </thead>
          <tbody>
            {(deliveries.data ?? []).map((d, i) => (
              <tr key={`${d.at}-${i}`} className={d.result === 'refused' || d.result === 'failed' ? 'error-text' : ''}>
                <td>{new Date(d.at).toLocaleString()}</td>
                <td>
                  {d.provider || '?'} <span className="muted">{d.remote}</span>
                </td>
                <td>{d.event}</td>
                <td>
                  {d.result} <span className="muted">{d.status}</span>
                </td>
                <td>{d.reason}</td>
                <td className="mono">{d.commit.slice(0, 10)}</td>
              </tr>
            ))}
            {deliveries.data?.length === 0 && (
              <tr>
                <td colSpan={6} className="muted">
                  No delivery yet.
                </td>
              </tr>
            )}
          </tbody>
        </table>
      )}
      {deliveries.error && <div className="error-text">{(deliveries.error as { message?: string }).message}</div>}
    </section>
  );
}
