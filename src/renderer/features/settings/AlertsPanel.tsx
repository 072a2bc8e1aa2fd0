import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { Settings } from '../../../shared/contract/settings.ts';
import { useUi } from '../../app/store.ts';
import { describeError } from '../../lib/errors.ts';
import { queryUtils } from '../../lib/rpc.ts';

/** Monitoring and alerts: sampling interval, which alerts fire, and whether they notify. */
export function AlertsPanel() {
  const orpc = queryUtils();
  const qc = useQueryClient();
  const toast = useUi((s) => s.toast);
  const settings = useQuery(orpc.settings.get.queryOptions());
  const save = useMutation({
    ...orpc.settings.update.mutationOptions(),
    onSuccess: (data: Settings) => qc.setQueryData(orpc.settings.get.queryKey(), data),
    onError: (e) => toast({ kind: 'error', title: 'Could not save', detail: describeError(e).message }),
  });
  const s = settings.data;
  if (!s) return null;
  const setAlert = (patch: Partial<Settings['alerts']>) => save.mutate({ alerts: { ...s.alerts, ...patch } });
  return (
    <div className="card" data-testid="alert-settings">
      <h2>Monitoring and alerts</h2>
      <div className="form">
        <label htmlFor="set-notify">Notifications</label>
        <label className="row">
          <input id="set-notify" type="checkbox" checked={s.notifications} onChange={(e) => save.mutate({ notifications: e.target.checked })} />
          OS notifications on the desktop, toasts in the browser
        </label>
        <label htmlFor="set-interval">Sample every</label>
        <select id="set-interval" value={s.sampleIntervalSec} onChange={(e) => save.mutate({ sampleIntervalSec: Number(e.target.value) })}>
          {[2, 5, 10, 30, 60].map((n) => (
            <option key={n} value={n}>
              {n} s
            </option>
          ))}
        </select>
        <label>Alert on</label>
        <div className="row">
          <label className="row">
            <input type="checkbox" checked={s.alerts.restartLoop} onChange={(e) => setAlert({ restartLoop: e.target.checked })} /> restart loops
          </label>
          <label className="row">
            <input type="checkbox" checked={s.alerts.unhealthy} onChange={(e) => setAlert({ unhealthy: e.target.checked })} /> unhealthy containers
          </label>
          <label className="row">
            <input type="checkbox" checked={s.alerts.unreachable} onChange={(e) => setAlert({ unreachable: e.target.checked })} /> unreachable servers
          </label>
        </div>
        <label htmlFor="set-disk">Disk fuller than</label>
        <div className="row">
          <input id="set-disk" type="number" min={1} max={100} defaultValue={s.alerts.diskPercent} style={{ width: 80 }} onBlur={(e) => setAlert({ diskPercent: Number(e.target.value) })} /> %
        </div>
      </div>
    </div>
  );
}
