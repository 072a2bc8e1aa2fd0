import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import type { ClusterNode, ClusterView, NodeRole } from '../../../shared/contract/cluster.ts';
import { confirmDialog, promptDialog } from '../../app/confirm.tsx';
import { useUi } from '../../app/store.ts';
import { Dialog } from '../../components/Dialog.tsx';
import { describeError } from '../../lib/errors.ts';
import { api, queryUtils } from '../../lib/rpc.ts';
import type { ClusterRoute } from './clusterRoute.ts';
import { ClusterSection, ClusterTabs } from './ClusterSections.tsx';

function parseLabels(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of text.split(',').map((p) => p.trim()).filter(Boolean)) {
    const at = part.indexOf('=');
    out[at < 0 ? part : part.slice(0, at).trim()] = at < 0 ? '' : part.slice(at + 1).trim();
  }
  return out;
}

function Quorum({ view }: { view: ClusterView }) {
  const q = view.quorum;
  if (!q) return null;
  return (
    <div className="card" data-testid="quorum">
      <h2>Managers and quorum</h2>
      <p>
        {q.reachable} of {q.managers} managers reachable; {q.needed} needed for changes; tolerates {q.tolerance} lost. {q.healthy ? '' : 'Quorum is lost.'}
      </p>
      {q.warnings.map((w) => (
        <p key={w} className="error-text" data-testid="quorum-warning">
          {w}
        </p>
      ))}
      <p className="muted">{q.oneMoreLost}</p>
    </div>
  );
}

function JoinDialog({ view, onClose }: { view: ClusterView; onClose(): void }) {
  const orpc = queryUtils();
  const qc = useQueryClient();
  const servers = useQuery(orpc.servers.list.queryOptions());
  const free = (servers.data ?? []).filter((s) => !view.members.some((m) => m.serverId === s.id));
  const [serverId, setServerId] = useState('');
  const [role, setRole] = useState<NodeRole>('worker');
  const [advertiseAddr, setAddr] = useState('');
  const join = useMutation({
    mutationFn: () => api().cluster.join({ clusterId: view.id, serverId, role, ...(advertiseAddr.trim() ? { advertiseAddr: advertiseAddr.trim() } : {}) }),
    onSettled: () => void qc.invalidateQueries({ queryKey: orpc.cluster.key() }),
    onSuccess: onClose,
  });
  return (
    <Dialog title={`Add a server to ${view.name}`} onClose={onClose} testId="join-cluster">
      <form
        className="form"
        onSubmit={(e) => {
          e.preventDefault();
          join.mutate();
        }}
      >
        <label>
          Server
          <select value={serverId} onChange={(e) => setServerId(e.target.value)} required>
            <option value="">Choose…</option>
            {free.map((s) => (
              <option key={s.id} value={s.id}>
                {s.name}
              </option>
            ))}
          </select>
        </label>
        <label>
          Role
          <select value={role} onChange={(e) => setRole(e.target.value as NodeRole)}>
            <option value="worker">worker</option>
            <option value="manager">manager</option>
          </select>
        </label>
        <label>
          Advertise address (empty: the address OpenPanel connects to)
          <input value={advertiseAddr} onChange={(e) => setAddr(e.target.value)} />
        </label>
        {join.error && (
          <p className="error-text" role="alert">
            {describeError(join.error).message}
          </p>
        )}
        <div className="actions">
          <button type="button" onClick={onClose}>
            Cancel
          </button>
          <button className="primary" type="submit" disabled={!serverId || join.isPending}>
            {join.isPending ? 'Joining…' : 'Join'}
          </button>
        </div>
      </form>
    </Dialog>
  );
}

/** One cluster: quorum, unfinished operations with finish/undo, nodes with their actions; apps and registries in their tabs. */
export function ClusterDetail({ route }: { route: ClusterRoute & { clusterId: string } }) {
  const { clusterId } = route;
  const orpc = queryUtils();
  const qc = useQueryClient();
  const toast = useUi((s) => s.toast);
  const view = useQuery({ ...orpc.cluster.get.queryOptions({ input: { clusterId } }), refetchInterval: 5000 });
  const [joining, setJoining] = useState(false);
  const run = useMutation({
    mutationFn: async (action: { what: string; call: () => Promise<unknown> }) => action.call(),
    onSuccess: (_r, action) => toast({ kind: 'success', title: action.what }),
    onError: (e, action) => toast({ kind: 'error', title: `${action.what} failed`, detail: describeError(e).message }),
    onSettled: () => void qc.invalidateQueries({ queryKey: orpc.cluster.key() }),
  });
  const v = view.data;
  if (!v) return <section>{view.error ? <p className="error-text">{describeError(view.error).message}</p> : <p className="muted">Reading the cluster…</p>}</section>;
  const c = api().cluster;
  const node = (n: ClusterNode) => n.serverName ?? n.hostname;
  const editLabels = async (n: ClusterNode) => {
    const initial = Object.entries(n.labels).map(([k, val]) => `${k}=${val}`).join(', ');
    const text = await promptDialog({ title: `Labels of ${node(n)}`, detail: 'key=value pairs separated by commas', input: { label: 'Labels', initial } });
    if (text !== null) run.mutate({ what: `Labels of ${node(n)} saved`, call: () => c.updateNode({ clusterId, nodeId: n.id, labels: parseLabels(text) }) });
  };
  const remove = async (n: ClusterNode) => {
    if (await confirmDialog({ title: `Remove ${node(n)} from ${v.name}?`, detail: 'It leaves the swarm and is removed from the node list; its tasks move to other nodes.', confirmLabel: 'Remove node', danger: true }))
      run.mutate({ what: `${node(n)} removed`, call: () => c.removeNode({ clusterId, nodeId: n.id }) });
  };
  const dissolve = async () => {
    if (await confirmDialog({ title: `Dissolve ${v.name}?`, detail: 'Every server leaves the swarm; its services stop.', confirmLabel: 'Dissolve', danger: true }))
      run.mutate({ what: `${v.name} dissolved`, call: async () => c.dissolve({ clusterId }).then(() => (window.location.hash = '#/cluster')) });
  };

  return (
    <section data-testid="cluster-detail">
      <div className="row">
        <a href="#/cluster">Clusters</a>
        <span aria-hidden="true">›</span>
        <h1 style={{ marginBottom: 0 }}>{v.name}</h1>
        <div className="spacer" />
        <button onClick={() => setJoining(true)}>Add server</button>
        <button onClick={() => run.mutate({ what: 'Join tokens rotated', call: () => c.rotateTokens({ clusterId, which: 'both' }) })}>Rotate join tokens</button>
        <button onClick={() => void dissolve()}>Dissolve</button>
      </div>
      <p className="muted">
        Docker Swarm · overlay address pool <span className="mono">{v.addrPool}</span>
        {v.readFrom && ` · read from ${v.members.find((m) => m.serverId === v.readFrom)?.serverName ?? v.readFrom}`}
      </p>
      {v.error && (
        <p className="banner error-text" role="alert">
          {v.error}
        </p>
      )}
      <ClusterTabs clusterId={clusterId} tab={route.tab} />
      {route.tab !== 'nodes' ? <ClusterSection route={route} /> : nodes(v)}
      {joining && <JoinDialog view={v} onClose={() => setJoining(false)} />}
    </section>
  );

  function nodes(v: ClusterView) {
    return (
      <div role="tabpanel" aria-label="Nodes">
        <Quorum view={v} />
        {v.pending.length > 0 && (
          <div className="card" data-testid="pending">
            <h2>Unfinished operations</h2>
            {v.pending.map((p) => (
              <div key={p.serverId} className="row" data-pending={p.serverName}>
                <span>
                  <strong>{p.serverName}</strong>: {p.detail}
                </span>
                <div className="spacer" />
                <button onClick={() => run.mutate({ what: `${p.serverName}: ${p.finish}`, call: () => c.finish({ clusterId, serverId: p.serverId }) })}>{p.finish}</button>
                <button onClick={() => run.mutate({ what: `${p.serverName}: ${p.undo}`, call: () => c.undo({ clusterId, serverId: p.serverId }) })}>{p.undo}</button>
              </div>
            ))}
          </div>
        )}
        <table className="table" data-testid="cluster-nodes">
          <thead>
            <tr>
              <th>Node</th>
              <th>Role</th>
              <th>Availability</th>
              <th>Status</th>
              <th>Engine</th>
              <th>Labels</th>
              <th>Tasks</th>
              <th>
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {v.nodes.map((n) => (
              <tr key={n.id} data-node={node(n)}>
                <td>
                  {node(n)}
                  {n.serverName && n.serverName !== n.hostname && <span className="muted small"> ({n.hostname})</span>}
                  <div className="muted small mono">{n.address}</div>
                </td>
                <td data-field="role">
                  {n.role}
                  {n.leader && <span className="badge">leader</span>}
                  {n.role === 'manager' && n.reachability !== 'reachable' && <span className="badge">{n.reachability}</span>}
                </td>
                <td data-field="availability">{n.availability}</td>
                <td data-field="status">
                  <span className="badge">{n.status}</span>
                  {n.message && <div className="muted small">{n.message}</div>}
                </td>
                <td>{n.engineVersion ?? '—'}</td>
                <td className="small">{Object.entries(n.labels).map(([k, val]) => `${k}=${val}`).join(', ') || '—'}</td>
                <td>{n.tasksRunning}</td>
                <td style={{ whiteSpace: 'nowrap' }}>
                  {n.availability === 'active' ? (
                    <button onClick={() => run.mutate({ what: `${node(n)} drained`, call: () => c.updateNode({ clusterId, nodeId: n.id, availability: 'drain' }) })} aria-label={`Drain ${node(n)}`}>
                      Drain
                    </button>
                  ) : (
                    <button onClick={() => run.mutate({ what: `${node(n)} active`, call: () => c.updateNode({ clusterId, nodeId: n.id, availability: 'active' }) })} aria-label={`Activate ${node(n)}`}>
                      Activate
                    </button>
                  )}
                  {n.role === 'worker' ? (
                    <button onClick={() => run.mutate({ what: `${node(n)} promoted`, call: () => c.updateNode({ clusterId, nodeId: n.id, role: 'manager' }) })} aria-label={`Promote ${node(n)}`}>
                      Promote
                    </button>
                  ) : (
                    <button onClick={() => run.mutate({ what: `${node(n)} demoted`, call: () => c.updateNode({ clusterId, nodeId: n.id, role: 'worker' }) })} aria-label={`Demote ${node(n)}`}>
                      Demote
                    </button>
                  )}
                  <button onClick={() => void editLabels(n)} aria-label={`Labels of ${node(n)}`}>
                    Labels
                  </button>
                  <button onClick={() => void remove(n)} aria-label={`Remove ${node(n)}`}>
                    Remove
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    );
  }
}
