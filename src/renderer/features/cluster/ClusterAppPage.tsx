import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import type { ClusterAppView } from '../../../shared/contract/cluster-apps.ts';
import { confirmDialog } from '../../app/confirm.tsx';
import { useUi } from '../../app/store.ts';
import { describeError } from '../../lib/errors.ts';
import { useNow } from '../../lib/now.ts';
import { api, queryUtils } from '../../lib/rpc.ts';
import { LIVE_MS, settling, sinceText, updateState } from './appState.ts';
import { ClusterBuilds } from './ClusterBuilds.tsx';
import { logsHash } from '../logs/params.ts';
import { clusterHash } from './clusterRoute.ts';

/** One app on a cluster: its state, tasks, scale, deploy history with rollback, remove. */
export function ClusterAppPage({ clusterId, name }: { clusterId: string; name: string }) {
  const orpc = queryUtils();
  const qc = useQueryClient();
  const toast = useUi((s) => s.toast);
  const now = useNow();
  const key = orpc.clusterApps.get.queryOptions({ input: { clusterId, name } });
  const view = useQuery({ ...key, refetchInterval: (q) => (q.state.data && settling(q.state.data) ? LIVE_MS : false) });
  const servers = useQuery(orpc.servers.list.queryOptions());
  const [replicas, setReplicas] = useState<string | null>(null);
  const act = useMutation({
    mutationFn: async (a: { what: string; call: () => Promise<ClusterAppView | { removed: boolean }> }) => a.call(),
    onSuccess: (result, a) => {
      if ('serviceId' in result) qc.setQueryData(key.queryKey, result);
      toast({ kind: 'success', title: a.what });
      void qc.invalidateQueries({ queryKey: orpc.clusterApps.list.key() });
    },
    onError: (e, a) => toast({ kind: 'error', title: `${a.what}: failed`, detail: describeError(e).message }),
  });
  const v = view.data;
  // A first deploy from git has no service until its image is pushed: its build is shown meanwhile.
  if (!v)
    return (
      <div data-testid="cluster-app" data-app={name}>
        {view.error ? <p className={describeError(view.error).code === 'NOT_FOUND' ? 'muted' : 'error-text'}>{describeError(view.error).message}</p> : <p className="muted">Reading {name}…</p>}
        <ClusterBuilds clusterId={clusterId} name={name} />
      </div>
    );
  const state = updateState(v);
  const serverName = (id: string | null) => (id && servers.data?.find((s) => s.id === id)?.name) ?? '—';
  const c = api().clusterApps;
  const scale = async () => {
    const n = Number(replicas ?? v.replicas);
    if (await confirmDialog({ title: `Scale ${v.name} to ${n} ${n === 1 ? 'replica' : 'replicas'}?`, detail: `It runs ${v.replicas} now. Only the replica count changes.`, confirmLabel: 'Scale' }))
      act.mutate({ what: `${v.name} scaled to ${n}`, call: () => c.scale({ clusterId, name, replicas: n }) });
  };
  const rollback = async (deployId: string, image: string) => {
    if (await confirmDialog({ title: `Roll ${v.name} back to ${deployId}?`, detail: `Runs ${image} again as a rolling update; nothing is rebuilt.`, confirmLabel: 'Roll back' }))
      act.mutate({ what: `${v.name} rolled back to ${deployId}`, call: () => c.rollback({ clusterId, name, deployId }) });
  };
  const remove = async () => {
    if (await confirmDialog({ title: `Remove ${v.name}?`, detail: `Its service ${v.service} and all its tasks stop and are removed; its domains leave the edge proxy.`, confirmLabel: 'Remove app', danger: true }))
      act.mutate({ what: `${v.name} removed`, call: async () => c.remove({ clusterId, name }).then((r) => ((window.location.hash = clusterHash(clusterId, 'apps')), r)) });
  };
  return (
    <div data-testid="cluster-app" data-app={v.name}>
      <div className="row">
        <a href={clusterHash(clusterId, 'apps')}>Apps</a>
        <span aria-hidden="true">›</span>
        <h2 style={{ margin: 0 }}>{v.name}</h2>
        <span className={`badge ${state.failed ? 'failed' : state.busy ? 'warn' : 'ok'}`} data-testid="capp-state">
          {state.label}
        </span>
        <div className="spacer" />
        <a className="button-link" href={logsHash({ serverId: '', containerIds: [], cluster: { clusterId, name: v.name }, tail: 500, since: undefined })}>
          Logs of all tasks
        </a>
        <a className="button-link" href={clusterHash(clusterId, 'apps', v.name, true)}>
          Deploy new version
        </a>
        <button onClick={() => void remove()} disabled={act.isPending}>
          Remove
        </button>
      </div>
      <p className="muted">
        <span className="mono">{v.image}</span> · service <span className="mono">{v.service}</span> · <span data-testid="capp-running">{v.running}/{v.replicas} running</span>
        {v.constraints.length > 0 && ` · ${v.constraints.join(', ')}`}
        {v.domains.length > 0 && ` · ${v.domains.map((d) => `${d.tls ? 'https' : 'http'}://${d.host}`).join(', ')}`}
      </p>
      {state.reason && (state.failed || state.busy) && (
        <p className={state.failed ? 'banner error-text' : 'muted'} role={state.failed ? 'alert' : undefined} data-testid="capp-reason">
          {state.label}: {state.reason}
        </p>
      )}
      <form
        className="row"
        aria-label="Scale"
        onSubmit={(e) => {
          e.preventDefault();
          void scale();
        }}
      >
        <label>
          Replicas{' '}
          <input type="number" min={0} max={100} value={replicas ?? String(v.replicas)} onChange={(e) => setReplicas(e.target.value)} style={{ width: 80 }} data-testid="capp-scale-input" />
        </label>
        <button type="submit" disabled={act.isPending || (replicas ?? String(v.replicas)) === String(v.replicas)} data-testid="capp-scale">
          Scale
        </button>
        {settling(v) && <span className="muted small" aria-live="polite">Swarm is moving tasks…</span>}
      </form>
      <ClusterBuilds clusterId={clusterId} name={name} />
      <h3>Tasks</h3>
      <table className="table" data-testid="capp-tasks">
        <thead>
          <tr>
            <th>Node</th>
            <th>Server</th>
            <th>State</th>
            <th>Desired</th>
            <th>Error</th>
            <th>Since</th>
          </tr>
        </thead>
        <tbody>
          {v.tasks.map((t) => (
            <tr key={t.id} data-task-state={t.state} data-task-desired={t.desired} data-node={t.node ?? ''}>
              <td>
                {t.node ?? '—'}
                {t.slot !== null && <span className="muted small"> #{t.slot}</span>}
                {t.nodeState && t.nodeState !== 'ready' && (
                  <span className="badge failed" title="Swarm has lost this node: what the task says is its last word from there">
                    node {t.nodeState}
                  </span>
                )}
              </td>
              <td>{serverName(t.serverId)}</td>
              <td>
                <span className={`badge ${t.state === 'running' ? 'ok' : t.state === 'failed' || t.state === 'rejected' ? 'failed' : ''}`}>{t.state}</span>
              </td>
              <td>{t.desired}</td>
              <td className="small">{t.error ?? ''}</td>
              <td className="small">{sinceText(t.since, now)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <h3>Deploys</h3>
      <table className="table" data-testid="capp-deploys">
        <thead>
          <tr>
            <th>Deploy</th>
            <th>Image</th>
            <th>Kind</th>
            <th>When</th>
            <th>
              <span className="sr-only">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {v.deploys.map((d, i) => (
            <tr key={d.id} data-deploy={d.id}>
              <td className="mono">
                {d.id}
                {i === 0 && <span className="badge">current</span>}
              </td>
              <td className="mono small" style={{ wordBreak: 'break-all' }}>
                {d.image}
              </td>
              <td>{d.kind}</td>
              <td className="small">{sinceText(d.at, now)}</td>
              <td>
                {i > 0 && (
                  <button onClick={() => void rollback(d.id, d.image)} disabled={act.isPending} aria-label={`Roll back to ${d.id}`}>
                    Roll back
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
