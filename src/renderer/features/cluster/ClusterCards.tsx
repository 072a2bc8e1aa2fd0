import { useQuery } from '@tanstack/react-query';
import type { ClusterSummary } from '../../../shared/contract/cluster.ts';
import { queryUtils } from '../../lib/rpc.ts';

function ClusterCard({ cluster }: { cluster: ClusterSummary }) {
  const orpc = queryUtils();
  const view = useQuery({ ...orpc.cluster.get.queryOptions({ input: { clusterId: cluster.id } }), refetchInterval: 10_000 });
  const apps = useQuery({ ...orpc.clusterApps.list.queryOptions({ input: { clusterId: cluster.id } }), refetchInterval: 10_000, retry: false });
  const v = view.data;
  const running = apps.data?.reduce((sum, a) => sum + a.running, 0) ?? 0;
  const desired = apps.data?.reduce((sum, a) => sum + a.replicas, 0) ?? 0;
  const ready = v?.nodes.filter((n) => n.status === 'ready').length ?? 0;
  const q = v?.quorum;
  return (
    <a className="fleet-card" href={`#/cluster/${cluster.id}`} data-cluster={cluster.name}>
      <div className="row">
        <strong>{cluster.name}</strong>
        <div className="spacer" />
        <span className="badge">cluster</span>
      </div>
      {v?.error ? (
        <div className="error-text small">{v.error}</div>
      ) : (
        <div className="small">
          {v ? `${ready} of ${v.nodes.length} nodes ready` : 'reading…'}
          {q && ` · ${q.reachable}/${q.managers} managers${q.healthy ? '' : ' · quorum lost'}`}
          {v && v.pending.length > 0 && ` · ${v.pending.length} unfinished`}
          {apps.data && (
            <div data-testid="cluster-card-services">
              {apps.data.length} {apps.data.length === 1 ? 'service' : 'services'} · {running}/{desired} replicas running
            </div>
          )}
        </div>
      )}
      {q && q.warnings.length > 0 && <div className="muted small">{q.warnings[0]}</div>}
    </a>
  );
}

/** The dashboard's cluster cards (nothing when there are no clusters). */
export function ClusterCards() {
  const orpc = queryUtils();
  const list = useQuery(orpc.cluster.list.queryOptions());
  if (!list.data?.length) return null;
  return (
    <div className="fleet-grid" data-testid="cluster-cards">
      {list.data.map((c) => (
        <ClusterCard key={c.id} cluster={c} />
      ))}
    </div>
  );
}
