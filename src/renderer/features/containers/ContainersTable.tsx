import { useQuery } from '@tanstack/react-query';
import { useMemo, useState } from 'react';
import type { Container } from '../../../shared/contract/containers.ts';
import { bytes, percent } from '../../lib/format.ts';
import { queryUtils } from '../../lib/rpc.ts';
import { useNow } from '../../lib/now.ts';
import { EmptyState } from '../../components/EmptyState.tsx';
import { InspectDrawer } from './InspectDrawer.tsx';
import { useLiveContainers, type LiveContainer } from './useContainers.ts';
import { liveStatus } from './uptime.ts';
import { LastSeen, StatusBadge, isStale, useStatus } from '../servers/status.tsx';
import { assistantHash } from '../assistant/intent.ts';
import { ExplainLink } from '../assistant/ExplainLink.tsx';
import { containerAction, containerLogsHash, openContainerShell, type ContainerAction } from './actions.ts';

type SortKey = 'name' | 'server' | 'state' | 'image' | 'cpu' | 'mem';

/** Docker's status with its duration ticking (one shared one-second clock), not the text frozen at the last event. */
function LiveStatus({ c, stale }: { c: LiveContainer; stale: boolean }) {
  const now = useNow();
  return (
    <div className="small muted" data-testid="container-status">
      {stale ? c.status : liveStatus(c.status, c.anchor, now)}
    </div>
  );
}

export function ContainersTable() {
  const orpc = queryUtils();
  const servers = useQuery(orpc.servers.list.queryOptions());
  const live = useLiveContainers();
  const statuses = useStatus((s) => s.byId);
  const seenAt = useStatus((s) => s.seenAt);
  // A server removed (here or from another client) leaves the list: its containers go with it.
  const containers = useMemo(() => {
    const known = servers.data ? new Set(servers.data.map((s) => s.id)) : null;
    return known ? live.containers.filter((c) => known.has(c.serverId)) : live.containers;
  }, [servers.data, live.containers]);
  const loading = live.loading;
  const staleServers = (servers.data ?? []).filter((s) => isStale(statuses[s.id], seenAt[s.id]) && containers.some((c) => c.serverId === s.id));
  const [q, setQ] = useState('');
  const [server, setServer] = useState('');
  const [state, setState] = useState('');
  const [sort, setSort] = useState<{ key: SortKey; dir: 1 | -1 }>({ key: 'name', dir: 1 });
  const [open, setOpen] = useState<LiveContainer | null>(null);
  const serverName = useMemo(() => new Map((servers.data ?? []).map((s) => [s.id, s.name])), [servers.data]);

  const rows = useMemo(() => {
    const needle = q.trim().toLowerCase();
    const val = (c: Container): string | number => {
      switch (sort.key) {
        case 'server':
          return serverName.get(c.serverId) ?? '';
        case 'cpu':
          return c.cpuPercent ?? -1;
        case 'mem':
          return c.memUsed ?? -1;
        default:
          return c[sort.key];
      }
    };
    return containers
      .filter((c) => (!server || c.serverId === server) && (!state || (state === 'unhealthy' ? c.health === 'unhealthy' : c.state === state)))
      .filter((c) => !needle || [c.name, c.image, c.id.slice(0, 12), serverName.get(c.serverId) ?? ''].some((f) => f.toLowerCase().includes(needle)))
      .sort((a, b) => (val(a) > val(b) ? sort.dir : val(a) < val(b) ? -sort.dir : 0));
  }, [containers, q, server, state, sort, serverName]);

  const act = (c: Container, action: ContainerAction) => containerAction(c, action, serverName.get(c.serverId));
  // "secondary" columns give way to an open drawer (styles.css), so the names, states and actions stay in view.
  const th = (key: SortKey, label: string, className?: string) => (
    <th className={className} onClick={() => setSort((s) => ({ key, dir: s.key === key ? (-s.dir as 1 | -1) : 1 }))} style={{ cursor: 'pointer' }} aria-sort={sort.key === key ? (sort.dir === 1 ? 'ascending' : 'descending') : 'none'}>
      {label}
      {sort.key === key ? (sort.dir === 1 ? ' ▲' : ' ▼') : ''}
    </th>
  );

  return (
    <>
      <div className="row" style={{ marginBottom: 10 }}>
        <input className="filter" style={{ marginBottom: 0 }} placeholder="Search name, image, id…" value={q} onChange={(e) => setQ(e.target.value)} aria-label="Search containers" />
        <select value={server} onChange={(e) => setServer(e.target.value)} aria-label="Server">
          <option value="">All servers</option>
          {servers.data?.map((s) => (
            <option key={s.id} value={s.id}>
              {s.name}
            </option>
          ))}
        </select>
        <select value={state} onChange={(e) => setState(e.target.value)} aria-label="State">
          <option value="">Any state</option>
          <option value="running">running</option>
          <option value="exited">exited</option>
          <option value="created">created</option>
          <option value="paused">paused</option>
          <option value="restarting">restarting</option>
          <option value="unhealthy">unhealthy</option>
        </select>
        <span className="muted small">{loading ? 'loading…' : `${rows.length} of ${containers.length}`}</span>
      </div>
      {staleServers.map((s) => (
        <div key={s.id} className="banner stale-banner" role="status" data-testid="server-stale" data-server={s.name}>
          <strong>{s.name}</strong> <StatusBadge status={statuses[s.id]} /> its containers below are as <LastSeen at={Math.max(seenAt[s.id] ?? 0, ...containers.filter((c) => c.serverId === s.id).map((c) => c.readAt)) || null} />
        </div>
      ))}
      <table className="table" data-testid="containers-table">
        <thead>
          <tr>
            {th('name', 'Name')}
            {th('server', 'Server')}
            {th('state', 'State')}
            {th('image', 'Image', 'secondary')}
            <th className="secondary">Ports</th>
            {th('cpu', 'CPU', 'secondary')}
            {th('mem', 'Memory', 'secondary')}
            <th>Actions</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((c) => {
            const stale = isStale(statuses[c.serverId], seenAt[c.serverId]);
            return (
            <tr key={`${c.serverId}/${c.id}`} className={`clickable${stale ? ' stale' : ''}`} data-container={c.name} data-stale={stale || undefined} onClick={() => setOpen(c)}>
              <td>
                <button className="link-button" onClick={() => setOpen(c)} data-testid="inspect-open">
                  {c.name}
                </button>
                {c.managed && <span className="badge">managed</span>}
              </td>
              <td>{serverName.get(c.serverId)}</td>
              <td>
                <span className={`badge ${c.state === 'running' ? 'ok' : ''}`} data-testid="state">
                  {c.state}
                </span>
                {c.health !== 'none' && <span className={`badge ${c.health === 'unhealthy' ? 'failed' : 'ok'}`}>{c.health}</span>}
                <LiveStatus c={c} stale={stale} />
              </td>
              <td className="small mono secondary">{c.image}</td>
              <td className="small secondary">{c.ports.filter((p) => p.publicPort).map((p) => `${p.publicPort}→${p.privatePort}`).join(', ')}</td>
              <td className="secondary">{percent(c.cpuPercent)}</td>
              <td className="secondary">{bytes(c.memUsed)}</td>
              <td onClick={(e) => e.stopPropagation()}>
                <div className="actions-inline">
                  {c.state === 'running' ? (
                    <>
                      <button onClick={() => void act(c, 'stop')}>Stop</button>
                      <button onClick={() => void act(c, 'restart')}>Restart</button>
                      <button onClick={() => void act(c, 'kill')}>Kill</button>
                    </>
                  ) : (
                    <button onClick={() => void act(c, 'start')}>Start</button>
                  )}
                  {c.state === 'running' && <button onClick={() => void openContainerShell(c)}>Shell</button>}
                  {(c.health === 'unhealthy' || c.state === 'dead' || c.state === 'restarting' || (c.state === 'exited' && !/\(0\)/.test(c.status))) && (
                    <ExplainLink href={assistantHash({ server: c.serverId, container: c.name })} testId="explain-container" />
                  )}
                  <a className="button-link" href={containerLogsHash(c)}>
                    Logs
                  </a>
                  <button onClick={() => void act(c, 'remove')}>Remove</button>
                </div>
              </td>
            </tr>
            );
          })}
        </tbody>
      </table>
      {!loading && containers.length === 0 && (
        <EmptyState
          title="No containers on these servers yet."
          hint="Deploy an app or create a database and its containers show here within seconds; so does anything started on the server with docker."
          action={<a className="button-link" href="#/apps">Go to Apps</a>}
          testId="containers-empty"
        />
      )}
      {!loading && containers.length > 0 && rows.length === 0 && <EmptyState title="No container matches the filter." hint="Clear the search or choose another state." testId="containers-filtered-empty" />}
      {open && <InspectDrawer key={`${open.serverId}/${open.id}`} container={open} onClose={() => setOpen(null)} />}
    </>
  );
}
