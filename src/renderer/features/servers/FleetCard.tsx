import { memo } from 'react';
import type { Server } from '../../../shared/contract/servers.ts';
import { bytes, duration, percent } from '../../lib/format.ts';
import { useNow } from '../../lib/now.ts';
import { LastSeen, StatusBadge, isStale, useStatus } from './status.tsx';
import { useFleet } from './fleet.ts';

const Meter = memo(function Meter({ label, value, detail }: { label: string; value: number | null; detail: string }) {
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
});

/** The host's uptime as of now: the sampled value plus the time since the sample (while the figures are live). */
export function Uptime({ seconds, at, frozen }: { seconds: number; at: number; frozen: boolean }) {
  const now = useNow();
  return <span data-testid="host-uptime">up {duration(seconds + (frozen ? 0 : Math.max(0, now - at) / 1000))}</span>;
}

/**
 * A server at a glance: status, CPU, memory, disk, load, uptime, containers, alerts. While the server is not
 * connected the figures are the last ones seen: greyed, with when.
 */
export const FleetCard = memo(function FleetCard({ server }: { server: Server }) {
  const snap = useFleet((s) => s.byId[server.id]);
  const status = useStatus((s) => s.byId[server.id]);
  const seenAt = useStatus((s) => s.seenAt[server.id]);
  const h = snap?.host;
  const c = snap?.containers;
  const stale = isStale(status, seenAt);
  return (
    <a className={`fleet-card${stale ? ' stale' : ''}`} href={`#/servers/${server.id}`} data-server={server.name} data-stale={stale || undefined}>
      <div className="row">
        <strong>{server.name}</strong>
        <div className="spacer" />
        <StatusBadge status={status} />
      </div>
      {stale && <LastSeen at={Math.max(h?.at ?? 0, seenAt ?? 0) || null} />}
      <div className="muted small">
        {server.username}@{server.host}
        {h && (
          <>
            {' · '}
            <Uptime seconds={h.uptime} at={h.at} frozen={stale} /> · load {h.load1.toFixed(2)}
          </>
        )}
      </div>
      <div className="figures">
      <Meter label="CPU" value={h?.cpuPercent ?? null} detail="CPU over the last sample interval" />
      <Meter label="Memory" value={h ? (h.memUsed / h.memTotal) * 100 : null} detail={h ? `${bytes(h.memUsed)} of ${bytes(h.memTotal)}` : ''} />
      <Meter label="Disk /" value={h ? (h.diskUsed / h.diskTotal) * 100 : null} detail={h ? `${bytes(h.diskUsed)} of ${bytes(h.diskTotal)}` : ''} />
      </div>
      <div className="row small figures" data-testid="container-counts">
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
});
