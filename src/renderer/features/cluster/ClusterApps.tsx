import { useQuery } from '@tanstack/react-query';
import { EmptyState } from '../../components/EmptyState.tsx';
import { describeError } from '../../lib/errors.ts';
import { queryUtils } from '../../lib/rpc.ts';
import { LIVE_MS, settling, updateState } from './appState.ts';
import { ClusterAppForm } from './ClusterAppForm.tsx';
import { ClusterAppPage } from './ClusterAppPage.tsx';
import { clusterHash } from './clusterRoute.ts';

/** Edit: the form starts from the app as the cluster reports it. */
function EditApp({ clusterId, name }: { clusterId: string; name: string }) {
  const orpc = queryUtils();
  const view = useQuery(orpc.clusterApps.get.queryOptions({ input: { clusterId, name } }));
  if (view.error) return <p className="error-text" role="alert">{describeError(view.error).message}</p>;
  return view.data ? <ClusterAppForm clusterId={clusterId} app={view.data} /> : <p className="muted">Reading {name}…</p>;
}

/** The Apps tab of a cluster: the list, the deploy form (#…/apps/new), an app (#…/apps/<name>) or its edit form. */
export function ClusterApps({ clusterId, app, edit }: { clusterId: string; app: string | null; edit: boolean }) {
  const orpc = queryUtils();
  const list = useQuery({ ...orpc.clusterApps.list.queryOptions({ input: { clusterId } }), enabled: !app, refetchInterval: (q) => (q.state.data?.some(settling) ? LIVE_MS : false) });
  if (app === 'new') return <ClusterAppForm clusterId={clusterId} />;
  if (app && edit) return <EditApp clusterId={clusterId} name={app} />;
  if (app) return <ClusterAppPage clusterId={clusterId} name={app} />;
  const apps = list.data ?? [];
  return (
    <div data-testid="cluster-apps">
      <div className="row">
        <h2 style={{ margin: 0 }}>Apps on this cluster</h2>
        <div className="spacer" />
        <a className="button-link primary" href={clusterHash(clusterId, 'apps', 'new')} data-testid="capp-new">
          Deploy an app
        </a>
      </div>
      {list.error && (
        <p className="error-text" role="alert">
          {describeError(list.error).message}
        </p>
      )}
      {list.data && apps.length === 0 ? (
        <EmptyState title="No apps on this cluster yet." hint="Deploy one from an image: it runs as a Swarm service with the replicas, placement and rolling-update settings you choose." action={<a className="button-link" href={clusterHash(clusterId, 'apps', 'new')}>Deploy an app</a>} />
      ) : (
        <table className="table" data-testid="capp-list">
          <thead>
            <tr>
              <th>App</th>
              <th>Image</th>
              <th>Replicas</th>
              <th>Update</th>
              <th>Domains</th>
            </tr>
          </thead>
          <tbody>
            {apps.map((v) => {
              const state = updateState(v);
              return (
                <tr key={v.name} data-app={v.name}>
                  <td>
                    <a href={clusterHash(clusterId, 'apps', v.name)}>{v.name}</a>
                  </td>
                  <td className="mono small" style={{ wordBreak: 'break-all' }}>
                    {v.image}
                  </td>
                  <td data-field="replicas">
                    {v.running}/{v.replicas}
                  </td>
                  <td data-field="update">
                    <span className={`badge ${state.failed ? 'failed' : state.busy ? 'warn' : 'ok'}`}>{state.label}</span>
                    {state.reason && (state.failed || state.busy) && <div className={state.failed ? 'error-text small' : 'muted small'}>{state.reason}</div>}
                  </td>
                  <td className="small">{v.domains.map((d) => d.host).join(', ') || '—'}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </div>
  );
}
