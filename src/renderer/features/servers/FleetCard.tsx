import type { Server } from '../../../shared/contract/servers.ts';
import { bytes, duration, percent } from '../../lib/format.ts';
import { StatusBadge, useStatus } from './status.tsx';
import { useFleet } from './fleet.ts';

function Meter({ label, value, detail }: { label: string; value: number | null; detail: string }) {
  const pct = value === null ? 0 : Math.min(100, value);
  return (
    <div className="meter" title={detail}>
      <div className="meter-label">
        <span>{label}</span>
        <span>{value === null ? '—' : percent(value)}</span>
      </div>
      <div className="meter-bar">
        <div className={pct > 90 ? 'hot' : pct > 70 ? 'warm' : ''} style={{ width: `${pct}%` }} />
      </div>
    </div>
  );
}

/** A server at a glance: status, CPU, memory, disk, load, uptime, containers, alerts. */
export function FleetCard({ server }: { server: Server }) {
  const snap = useFleet((s) => s.byId[server.id]);
  const status = useStatus((s) => s.byId[server.id]);
  const h = snap?.host;
  const c = snap?.containers;
  return (
    <a className="fleet-card" href={`#/servers/${server.id}`} data-server={server.name}>
      <div className="row">
        <strong>{server.name}</strong>
        <div className="spacer" />
        <StatusBadge status={status} />
      </div>
      <div className="muted small">
        {server.username}@{server.host}
        {h ? ` · up ${duration(h.uptime)} · load ${h.load1.toFixed(2)}` : ''}
      </div>
      <Meter label="CPU" value={h?.cpuPercent ?? null} detail="CPU over the last sample interval" />
      <Meter label="Memory" value={h ? (h.memUsed / h.memTotal) * 100 : null} detail={h ? `${bytes(h.memUsed)} of ${bytes(h.memTotal)}` : ''} />
      <Meter label="Disk /" value={h ? (h.diskUsed / h.diskTotal) * 100 : null} detail={h ? `${bytes(h.diskUsed)} of ${bytes(h.diskTotal)}` : ''} />
      <div className="row small" data-testid="container-counts">
        {c ? (
          <>
            <span className="badge ok">{c.running} running</span>
            <span className="badge">{c.stopped} stopped</span>
            {c.unhealthy > 0 && <span className="badge failed">{c.unhealthy} unhealthy</span>}
          </>
        ) : (
          <span className="muted">containers: —</span>
        )}
      </div>
      {snap?.alerts.map((a) => (
        <div key={a.id} className="field-error small" role="alert">
          ⚠ {a.message}
        </div>
      ))}
    </a>
  );
}
