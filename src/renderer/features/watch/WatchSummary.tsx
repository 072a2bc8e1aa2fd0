import { useQuery } from '@tanstack/react-query';
import { describeError } from '../../lib/errors.ts';
import { bytes } from '../../lib/format.ts';
import { queryUtils } from '../../lib/rpc.ts';
import { ALWAYS_FIRING } from './alert-text.ts';
import { WatchStateBadge } from './StackCard.tsx';

/** The server page's Watch card: on or off, its memory, what fires now, and the way to the Watch page. */
export function WatchSummary({ serverId }: { serverId: string }) {
  const orpc = queryUtils();
  const status = useQuery({ ...orpc.watch.status.queryOptions({ input: { serverId } }), refetchInterval: 15_000, retry: false });
  const on = status.data?.state === 'on';
  const alerts = useQuery({ ...orpc.alerting.alerts.queryOptions({ input: { serverId } }), enabled: on, refetchInterval: 15_000, retry: false });
  const firing = (alerts.data ?? []).filter((a) => !ALWAYS_FIRING.has(a.name) && a.state === 'active').length;
  const s = status.data;
  return (
    <div className="card" data-testid="watch-summary">
      <div className="row">
        <h2 style={{ margin: 0 }}>Watch</h2>
        {s && <WatchStateBadge state={s.state} />}
        <div className="spacer" />
        <a className="button-link" href={`#/watch/${serverId}`} data-testid="watch-open">
          {s && s.state !== 'off' ? 'Open Watch' : 'Set up Watch'}
        </a>
      </div>
      {status.error && <p className="muted small">{describeError(status.error).message}</p>}
      {s && s.state === 'off' && <p className="muted">Off: this server is watched only while OpenPanel runs. Watch keeps Prometheus and Alertmanager on it, so alerts reach you while OpenPanel is closed and the charts cover that time.</p>}
      {s && s.state !== 'off' && (
        <p data-testid="watch-summary-text">
          {s.containers.filter((c) => c.state === 'running').length} of {s.containers.length} parts running · {bytes(s.memoryBytes)} of memory · {on ? (firing ? `${firing} alert${firing === 1 ? '' : 's'} firing` : 'nothing firing') : (s.error ?? '')}
        </p>
      )}
    </div>
  );
}
