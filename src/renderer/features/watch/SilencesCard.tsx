import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { Silence } from '../../../shared/contract/alerting.ts';
import { useUi } from '../../app/store.ts';
import { describeError } from '../../lib/errors.ts';
import { api, queryUtils } from '../../lib/rpc.ts';
import { alertTitle } from './alert-text.ts';

function describeMatchers(s: Silence): string {
  const name = s.matchers.find((m) => m.name === 'alertname' && m.isEqual && !m.isRegex);
  const rest = s.matchers.filter((m) => m !== name && !['server', 'severity'].includes(m.name));
  const head = name ? alertTitle(name.value) : 'Alerts';
  return rest.length ? `${head} (${rest.map((m) => `${m.name}${m.isEqual ? '' : '!'}${m.isRegex ? '=~' : '='}${m.value}`).join(', ')})` : head;
}

/** Mutes in force on the server (Alertmanager's silences), with Unmute. */
export function SilencesCard({ serverId }: { serverId: string }) {
  const orpc = queryUtils();
  const qc = useQueryClient();
  const toast = useUi((s) => s.toast);
  const list = useQuery({ ...orpc.alerting.silences.queryOptions({ input: { serverId } }), refetchInterval: 15_000, retry: false });
  const unmute = useMutation({
    mutationFn: (id: string) => api().alerting.expireSilence({ serverId, id }),
    onSuccess: () => void qc.invalidateQueries({ queryKey: orpc.alerting.key() }),
    onError: (e) => toast({ kind: 'error', title: 'Could not unmute', detail: describeError(e).message }),
  });
  const silences = (list.data ?? []).filter((s) => s.state !== 'expired');
  return (
    <div className="card" data-testid="watch-silences">
      <h2>Muted</h2>
      {list.error && (
        <p className="field-error" role="alert">
          {describeError(list.error).message}
        </p>
      )}
      {silences.length === 0 ? (
        !list.error && <p className="muted">Nothing is muted. Mute an alert for an hour from the list of alerts above.</p>
      ) : (
        <ul data-testid="silences">
          {silences.map((s) => (
            <li key={s.id} data-silence={s.id}>
              {describeMatchers(s)} <span className="muted small">until {new Date(s.endsAt).toLocaleString()} · {s.comment}</span>{' '}
              <button className="small-button" onClick={() => unmute.mutate(s.id)} disabled={unmute.isPending} aria-label={`Unmute: ${describeMatchers(s)}`} data-testid="silence-unmute">
                Unmute
              </button>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
