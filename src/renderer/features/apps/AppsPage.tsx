import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { useUiRequest } from '../../app/store.ts';
import { queryUtils } from '../../lib/rpc.ts';
import { AppForm } from './AppForm.tsx';
import { DeployPanel } from './DeployPanel.tsx';
import { ProxyPanel } from './ProxyPanel.tsx';
import { EmptyState } from '../../components/EmptyState.tsx';

/** Apps of one server: its reverse proxy, the apps list, and the selected app's deploys. */
export function AppsPage() {
  const orpc = queryUtils();
  const servers = useQuery(orpc.servers.list.queryOptions());
  const [serverId, setServerId] = useState('');
  const chosen = serverId || servers.data?.[0]?.id || '';
  const apps = useQuery({ ...orpc.apps.list.queryOptions({ input: { serverId: chosen } }), enabled: !!chosen });
  const [selected, setSelected] = useState<string | null>(null);
  const [deployId, setDeployId] = useState<string | null>(null);
  const [creating, setCreating] = useState(false);
  // The palette asks for an app: show it; "deploy" is then run by its DeployPanel's own deploy action.
  const show = (r: { serverId: string; appId: string }) => {
    setServerId(r.serverId);
    setSelected(r.appId);
    setCreating(false);
    setDeployId(null);
  };
  useUiRequest('show-app', () => true, show);
  useUiRequest('deploy-app', () => true, show, true);
  const app = apps.data?.find((a) => a.id === selected) ?? (creating ? undefined : apps.data?.[0]);

  if (servers.data && servers.data.length === 0)
    return (
      <section className="apps-page">
        <h1>Apps</h1>
        <EmptyState title="No apps yet." hint="Add a server first: apps are built and run on your servers." action={<a className="button-link" href="#/servers">Go to Servers</a>} />
      </section>
    );
  return (
    <section className="apps-page">
      <div className="row">
        <h1 style={{ marginBottom: 0 }}>Apps</h1>
        <div className="spacer" />
        <select value={chosen} onChange={(e) => setServerId(e.target.value)} aria-label="Server" data-testid="apps-server">
          {(servers.data ?? []).map((s) => (
            <option key={s.id} value={s.id}>
              {s.name}
            </option>
          ))}
        </select>
        <button onClick={() => setCreating(true)} data-testid="new-app">
          New app
        </button>
      </div>
      {chosen && <ProxyPanel serverId={chosen} />}
      <div className="apps-layout">
        <ul className="apps-list" data-testid="apps-list">
          {(apps.data ?? []).map((a) => (
            <li key={a.id}>
              <button
                className={a.id === app?.id ? 'selected' : ''}
                onClick={() => {
                  setSelected(a.id);
                  setCreating(false);
                  setDeployId(null);
                }}
              >
                {a.name} <span className="muted">{a.lastDeploy?.status ?? 'never deployed'}</span>
              </button>
            </li>
          ))}
        </ul>
        <div className="apps-main">
          {creating || !app ? (
            chosen && (
              <AppForm
                serverId={chosen}
                onSaved={(a) => {
                  setCreating(false);
                  setSelected(a.id);
                }}
              />
            )
          ) : (
            <DeployPanel key={app.id} app={app} deployId={deployId} onDeploy={setDeployId} />
          )}
        </div>
      </div>
    </section>
  );
}
