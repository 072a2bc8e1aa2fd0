import { useQuery } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { EmptyState } from '../../components/EmptyState.tsx';
import { queryUtils } from '../../lib/rpc.ts';
import { ClusterCards } from './ClusterCards.tsx';
import { ClusterDetail } from './ClusterDetail.tsx';
import { clusterRoute } from './clusterRoute.ts';
import { CreateClusterDialog } from './CreateClusterDialog.tsx';


/** Clusters (Docker Swarm over the servers' SSH connections): the list, or one cluster's tab from #/cluster/<id>[/apps|/registries]. */
export function ClusterPage() {
  const orpc = queryUtils();
  const list = useQuery(orpc.cluster.list.queryOptions());
  const servers = useQuery(orpc.servers.list.queryOptions());
  const [creating, setCreating] = useState(false);
  const [route, setRoute] = useState(() => clusterRoute(window.location.hash));
  useEffect(() => {
    const onHash = () => setRoute(clusterRoute(window.location.hash));
    window.addEventListener('hashchange', onHash);
    // A lazy page renders before this effect runs: a hash change in between would otherwise be missed.
    onHash();
    return () => window.removeEventListener('hashchange', onHash);
  }, []);
  if (route.clusterId) return <ClusterDetail route={{ ...route, clusterId: route.clusterId }} />;
  return (
    <section>
      <div className="row">
        <h1 style={{ marginBottom: 0 }}>Clusters</h1>
        <div className="spacer" />
        <button className="primary" onClick={() => setCreating(true)} disabled={!servers.data?.length}>
          Create cluster
        </button>
      </div>
      <p className="muted">A cluster is a Docker Swarm of servers you have added. OpenPanel drives it over each server’s SSH connection; join tokens are read when needed and never stored.</p>
      {list.data && list.data.length > 0 ? (
        <ClusterCards />
      ) : (
        <EmptyState
          title="No clusters yet."
          hint={servers.data?.length ? 'Create one from your servers: the first one picked initialises the swarm, the others join as managers or workers.' : 'Add servers first on the Servers page, then make a cluster of them here.'}
          action={servers.data?.length ? <button onClick={() => setCreating(true)}>Create cluster</button> : <a className="button-link" href="#/servers">Go to Servers</a>}
        />
      )}
      {creating && (
        <CreateClusterDialog
          onClose={() => setCreating(false)}
          onCreated={(id) => {
            setCreating(false);
            window.location.hash = `#/cluster/${id}`;
          }}
        />
      )}
    </section>
  );
}
