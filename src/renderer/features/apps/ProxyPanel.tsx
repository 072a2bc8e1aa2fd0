import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import type { ProxyDriverName, ShipSettings } from '../../../shared/contract/proxy.ts';
import { useUi } from '../../app/store.ts';
import { describeError } from '../../lib/errors.ts';
import { api, queryUtils } from '../../lib/rpc.ts';

/** The server's reverse proxy: driver, image overrides (image=replacement per line, or a mirror prefix), install. */
export function ProxyPanel({ serverId }: { serverId: string }) {
  const orpc = queryUtils();
  const settings = useQuery(orpc.proxy.settings.queryOptions({ input: { serverId } }));
  const status = useQuery({ ...orpc.proxy.status.queryOptions({ input: { serverId } }), retry: false });
  const st = status.data;
  return (
    <details className="proxy-panel" open={!st?.running}>
      <summary>
        Reverse proxy: <strong data-testid="proxy-state">{st ? (st.running ? `${st.driver} running` : st.installed ? `${st.driver} stopped` : 'not installed') : '…'}</strong>
        {st && <span className="muted"> ({st.image})</span>}
      </summary>
      {settings.data && <ProxyForm key={settings.dataUpdatedAt} serverId={serverId} initial={settings.data} installed={!!st?.installed} />}
      {st && <pre className="deploy-log">{st.config}</pre>}
    </details>
  );
}

function ProxyForm({ serverId, initial, installed }: { serverId: string; initial: ShipSettings; installed: boolean }) {
  const orpc = queryUtils();
  const qc = useQueryClient();
  const toast = useUi((s) => s.toast);
  const [driver, setDriver] = useState<ProxyDriverName>(initial.driver);
  const [overrides, setOverrides] = useState(() => Object.entries(initial.imageOverrides.images).map(([a, b]) => `${a}=${b}`).join('\n'));
  const [prefix, setPrefix] = useState(initial.imageOverrides.prefix ?? '');
  const refresh = () => void qc.invalidateQueries({ queryKey: orpc.proxy.key() });
  const save = useMutation({
    mutationFn: () =>
      api().proxy.updateSettings({
        serverId,
        settings: {
          driver,
          imageOverrides: {
            prefix: prefix.trim() || null,
            images: Object.fromEntries(overrides.split('\n').filter((l) => l.includes('=')).map((l) => [l.slice(0, l.indexOf('=')).trim(), l.slice(l.indexOf('=') + 1).trim()])),
          },
        },
      }),
    onSuccess: refresh,
    onError: (e) => toast({ kind: 'error', title: 'Could not save the proxy settings', detail: describeError(e).message }),
  });
  const install = useMutation({
    mutationFn: async () => {
      await save.mutateAsync();
      return api().proxy.install({ serverId });
    },
    onSuccess: refresh,
    onError: (e) => toast({ kind: 'error', title: 'Could not install the proxy', detail: describeError(e).message }),
  });
  return (
    <>
      <div className="row">
        <label>
          Driver{' '}
          <select value={driver} onChange={(e) => setDriver(e.target.value as ProxyDriverName)} aria-label="Proxy driver" data-testid="proxy-driver">
            <option value="traefik">Traefik v3</option>
            <option value="caddy">Caddy</option>
          </select>
        </label>
        <label>
          Mirror prefix <input value={prefix} onChange={(e) => setPrefix(e.target.value)} placeholder="mirror.example:5000" aria-label="Mirror prefix" />
        </label>
      </div>
      <label className="field">
        Image overrides (image=replacement per line; for the proxy, the builder docker:27-cli and your base images)
        <textarea value={overrides} onChange={(e) => setOverrides(e.target.value)} rows={3} aria-label="Image overrides" data-testid="proxy-overrides" />
      </label>
      <div className="row">
        <button onClick={() => save.mutate()}>Save</button>
        <button className="primary" onClick={() => install.mutate()} disabled={install.isPending} data-testid="proxy-install">
          {installed ? 'Reinstall / upgrade' : 'Install proxy'}
        </button>
      </div>
    </>
  );
}
