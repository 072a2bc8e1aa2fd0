import { useQuery } from '@tanstack/react-query';
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

/** Pick a server and one or several of its containers, how many lines back and from when. */
export function LogsPicker() {
  const orpc = queryUtils();
  const servers = useQuery(orpc.servers.list.queryOptions());
  const [serverId, setServerId] = useState('');
  const [picked, setPicked] = useState<string[]>([]);
  const [tail, setTail] = useState(String(DEFAULT_TAIL));
  const [since, setSince] = useState(0);
  const sid = serverId || servers.data?.[0]?.id || '';
  const containers = useQuery({ ...orpc.servers.containers.queryOptions({ input: { id: sid, all: true } }), enabled: !!sid });

  const open = () => {
    const n = tail.trim() === '' || tail.trim() === 'all' ? undefined : Number(tail);
    window.location.hash = logsHash({ serverId: sid, containerIds: picked, tail: n !== undefined && Number.isFinite(n) ? Math.max(0, Math.floor(n)) : undefined, since: since ? Date.now() - since : undefined });
  };

  return (
    <section className="logs-picker">
      <h1>Logs</h1>
      <p className="muted">Live logs of one container, or several interleaved by time.</p>
      {servers.data?.length === 0 && <p>Add a server first (Servers → Add server).</p>}
      <div className="form">
        <label htmlFor="logs-server">Server</label>
        <select id="logs-server" value={sid} onChange={(e) => (setServerId(e.target.value), setPicked([]))}>
          {servers.data?.map((s) => (
            <option key={s.id} value={s.id}>
              {s.name}
            </option>
          ))}
        </select>
        <span>Containers</span>
        <div className="logs-containers" data-testid="logs-containers">
          {containers.isLoading && <span className="muted">Loading…</span>}
          {containers.error && <span className="field-error">{describeError(containers.error).message}</span>}
          {containers.data?.length === 0 && <span className="muted">No containers on this server.</span>}
          {containers.data?.map((c) => (
            <label key={c.id} className="logs-check">
              <input
                type="checkbox"
                checked={picked.includes(c.id)}
                onChange={(e) => setPicked(e.target.checked ? [...picked, c.id] : picked.filter((x) => x !== c.id))}
                data-container={c.name}
              />{' '}
              {c.name} <span className="muted">({c.state})</span>
            </label>
          ))}
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
        <button className="primary" disabled={!sid || picked.length === 0} onClick={open}>
          Show logs
        </button>
      </div>
    </section>
  );
}
