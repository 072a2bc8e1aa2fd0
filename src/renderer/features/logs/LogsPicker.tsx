import { useQueries, useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { describeError } from '../../lib/errors.ts';
import { queryUtils } from '../../lib/rpc.ts';
import { DEFAULT_TAIL, logsHash } from './params.ts';

const SINCE = [
  { label: 'any time', ms: 0 },
  { label: 'last 5 minutes', ms: 5 * 60_000 },
  { label: 'last hour', ms: 3_600_000 },
  { label: 'last 24 hours', ms: 86_400_000 },
];

const MAX_CONTAINERS = 16;

/** Pick containers on one or several servers (interleaved by time in one view), how many lines back and from when. */
export function LogsPicker() {
  const orpc = queryUtils();
  const servers = useQuery(orpc.servers.list.queryOptions());
  const [picked, setPicked] = useState<{ serverId: string; id: string }[]>([]);
  const [tail, setTail] = useState(String(DEFAULT_TAIL));
  const [since, setSince] = useState(0);
  const lists = useQueries({ queries: (servers.data ?? []).map((s) => orpc.servers.containers.queryOptions({ input: { id: s.id, all: true } })) });

  const isPicked = (serverId: string, id: string) => picked.some((p) => p.serverId === serverId && p.id === id);
  const toggle = (serverId: string, id: string, on: boolean) => setPicked(on ? [...picked, { serverId, id }] : picked.filter((p) => !(p.serverId === serverId && p.id === id)));

  const open = () => {
    const groups: { serverId: string; containerIds: string[] }[] = [];
    for (const p of picked) {
      const g = groups.find((x) => x.serverId === p.serverId);
      if (g) g.containerIds.push(p.id);
      else groups.push({ serverId: p.serverId, containerIds: [p.id] });
    }
    const [head, ...also] = groups;
    if (!head) return;
    const n = tail.trim() === '' || tail.trim() === 'all' ? undefined : Number(tail);
    window.location.hash = logsHash({
      ...head,
      ...(also.length ? { also } : {}),
      tail: n !== undefined && Number.isFinite(n) ? Math.max(0, Math.floor(n)) : undefined,
      since: since ? Date.now() - since : undefined,
    });
  };

  return (
    <section className="logs-picker">
      <h1>Logs</h1>
      <p className="muted">Live logs of one container, or several interleaved by time, on one server or several. A container that restarts is followed into its next run.</p>
      {servers.data?.length === 0 && <p>Add a server first (Servers → Add server).</p>}
      <div className="form">
        <span>Containers</span>
        <div className="logs-containers" data-testid="logs-containers">
          {servers.data?.map((s, i) => {
            const list = lists[i];
            return (
              <fieldset key={s.id} className="logs-server" data-server={s.name}>
                <legend>{s.name}</legend>
                {list?.isLoading && <span className="muted">Loading…</span>}
                {list?.error && <span className="field-error">{describeError(list.error).message}</span>}
                {list?.data?.length === 0 && <span className="muted">No containers on this server.</span>}
                {list?.data?.map((c) => (
                  <label key={c.id} className="logs-check">
                    <input
                      type="checkbox"
                      checked={isPicked(s.id, c.id)}
                      disabled={!isPicked(s.id, c.id) && picked.length >= MAX_CONTAINERS}
                      onChange={(e) => toggle(s.id, c.id, e.target.checked)}
                      data-container={c.name}
                    />{' '}
                    {c.name} <span className="muted">({c.state})</span>
                  </label>
                ))}
              </fieldset>
            );
          })}
        </div>
        <label htmlFor="logs-tail">Last lines</label>
        <input id="logs-tail" value={tail} onChange={(e) => setTail(e.target.value)} placeholder="all" />
        <label htmlFor="logs-since">Since</label>
        <select id="logs-since" value={since} onChange={(e) => setSince(Number(e.target.value))}>
          {SINCE.map((s) => (
            <option key={s.ms} value={s.ms}>
              {s.label}
            </option>
          ))}
        </select>
      </div>
      <div className="actions">
        <button className="primary" disabled={picked.length === 0} onClick={open}>
          Show logs{picked.length > 1 ? ` (${picked.length})` : ''}
        </button>
      </div>
    </section>
  );
}
