import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useUi } from '../../app/store.ts';
import { api, queryUtils } from '../../lib/rpc.ts';
import { formErrors } from '../servers/fieldErrors.ts';
import { appliedProblems } from './applied.ts';

/** The dead man's switch: a URL (healthchecks-style) Alertmanager pings every minute; silence there means trouble. */
export function WatchdogCard() {
  const orpc = queryUtils();
  const qc = useQueryClient();
  const toast = useUi((s) => s.toast);
  const settings = useQuery(orpc.alerting.settings.queryOptions());
  const [url, setUrl] = useState('');
  const [errors, setErrors] = useState<Record<string, string>>({});
  const save = useMutation({
    mutationFn: (watchdogUrl: string) => api().alerting.updateSettings({ watchdogUrl }),
    onSuccess: (r, watchdogUrl) => {
      setErrors({});
      setUrl('');
      void qc.invalidateQueries({ queryKey: orpc.alerting.key() });
      const problems = appliedProblems(r.applied);
      toast(problems ? { kind: 'error', title: 'Saved, not yet on every server', detail: problems } : { kind: 'success', title: watchdogUrl ? 'Watchdog URL saved' : 'Watchdog URL removed' });
    },
    onError: (e) => setErrors(formErrors(e)),
  });
  const s = settings.data;
  const err = errors.watchdogUrl ?? errors.form;
  return (
    <div className="card" data-testid="watch-watchdog">
      <h2>Watchdog URL</h2>
      <p className="muted">
        Every server with Watch on pings this URL every minute (a healthchecks.io-style check). When the pings stop, that service tells you: it covers a server, its Watch and its network all gone at once.
      </p>
      <p data-testid="watchdog-current">{s?.watchdogSet ? <>Set: pings go to {s.watchdogHost ?? 'the stored URL'}.</> : 'Not set.'}</p>
      <form
        className="row"
        onSubmit={(e) => {
          e.preventDefault();
          save.mutate(url.trim());
        }}
      >
        <label htmlFor="watchdog-url">{s?.watchdogSet ? 'New URL' : 'URL'}</label>
        <input id="watchdog-url" type="password" value={url} onChange={(e) => setUrl(e.target.value)} placeholder="https://hc-ping.com/…" aria-invalid={err ? true : undefined} aria-describedby={err ? 'watchdog-url-error' : undefined} autoComplete="off" style={{ flex: 1 }} />
        <button type="submit" disabled={!url.trim() || save.isPending} data-testid="watchdog-save">
          Save
        </button>
        {s?.watchdogSet && (
          <button type="button" onClick={() => save.mutate('')} disabled={save.isPending}>
            Remove
          </button>
        )}
      </form>
      {err && (
        <p className="field-error" role="alert" id="watchdog-url-error">
          {err}
        </p>
      )}
    </div>
  );
}
