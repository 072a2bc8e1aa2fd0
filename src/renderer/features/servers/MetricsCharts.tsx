import { useQuery } from '@tanstack/react-query';
import { useEffect, useRef, useState } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { bytes, percent } from '../../lib/format.ts';
import { queryUtils } from '../../lib/rpc.ts';
import { useFleet } from './fleet.ts';

type Range = '1h' | '6h' | '24h';

function Chart({ title, data, series, yFormat }: { title: string; data: uPlot.AlignedData; series: uPlot.Series[]; yFormat: (v: number) => string }) {
  const el = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!el.current) return;
    const width = el.current.clientWidth || 600;
    const plot = new uPlot(
      {
        width,
        height: 180,
        series: [{}, ...series],
        axes: [{ stroke: 'var(--muted)' }, { stroke: 'var(--muted)', values: (_u, vals) => vals.map((v) => yFormat(v)), size: 70 }],
        legend: { show: true },
        cursor: { drag: { x: false, y: false } },
      },
      data,
      el.current,
    );
    const onResize = () => plot.setSize({ width: el.current?.clientWidth ?? width, height: 180 });
    window.addEventListener('resize', onResize);
    return () => {
      window.removeEventListener('resize', onResize);
      plot.destroy();
    };
  }, [data, series, yFormat]);
  return (
    <div className="chart">
      <div className="small muted">{title}</div>
      <div ref={el} data-testid={`chart-${title}`} />
    </div>
  );
}

const COLORS = ['#5b82f0', '#3ecf7a', '#e3a53a', '#f06363', '#a06cf0', '#36b3c9'];

/** Host and container metrics from SQLite history, refreshed as new samples land. */
export function MetricsCharts({ serverId }: { serverId: string }) {
  const orpc = queryUtils();
  const [range, setRange] = useState<Range>('1h');
  const lastSample = useFleet((s) => s.byId[serverId]?.host?.at);
  const host = useQuery(orpc.fleet.hostHistory.queryOptions({ input: { serverId, range } }));
  const cont = useQuery(orpc.fleet.containerHistory.queryOptions({ input: { serverId, range } }));
  const { refetch: refetchHost } = host;
  const { refetch: refetchCont } = cont;
  useEffect(() => {
    if (lastSample) {
      void refetchHost();
      void refetchCont();
    }
  }, [lastSample, refetchHost, refetchCont]);

  const h = host.data ?? [];
  const xs = h.map((p) => p.at / 1000);
  const containers = (cont.data ?? []).slice(0, 6);
  const cxs = [...new Set(containers.flatMap((c) => c.points.map((p) => p.at)))].sort((a, b) => a - b);
  const align = (pick: (p: { at: number; cpuPercent: number | null; memUsed: number }) => number | null) =>
    containers.map((c) => {
      const byAt = new Map(c.points.map((p) => [p.at, pick(p)]));
      return cxs.map((at) => byAt.get(at) ?? null);
    });
  return (
    <div className="card" data-testid="metrics">
      <div className="row">
        <h2 style={{ margin: 0 }}>Metrics</h2>
        <div className="spacer" />
        <div className="segmented" role="radiogroup" aria-label="Range">
          {(['1h', '6h', '24h'] as const).map((r) => (
            <button key={r} role="radio" aria-checked={range === r} className={range === r ? 'on' : ''} onClick={() => setRange(r)}>
              {r}
            </button>
          ))}
        </div>
      </div>
      {h.length === 0 ? (
        <p className="muted">No samples yet: OpenPanel samples every few seconds while it runs.</p>
      ) : (
        <>
          <Chart title="CPU" data={[xs, h.map((p) => p.cpuPercent)]} series={[{ label: 'CPU %', stroke: COLORS[0] }]} yFormat={(v) => percent(v)} />
          <Chart title="Memory" data={[xs, h.map((p) => p.memUsed)]} series={[{ label: 'used', stroke: COLORS[1] }]} yFormat={(v) => bytes(v)} />
          <Chart title="Load" data={[xs, h.map((p) => p.load1), h.map((p) => p.load5)]} series={[{ label: 'load 1', stroke: COLORS[2] }, { label: 'load 5', stroke: COLORS[3] }]} yFormat={(v) => v.toFixed(2)} />
          {containers.length > 0 && (
            <>
              <Chart title="Container CPU" data={[cxs.map((a) => a / 1000), ...align((p) => p.cpuPercent)]} series={containers.map((c, i) => ({ label: c.name, stroke: COLORS[i % COLORS.length] }))} yFormat={(v) => percent(v)} />
              <Chart title="Container memory" data={[cxs.map((a) => a / 1000), ...align((p) => p.memUsed)]} series={containers.map((c, i) => ({ label: c.name, stroke: COLORS[i % COLORS.length] }))} yFormat={(v) => bytes(v)} />
            </>
          )}
        </>
      )}
    </div>
  );
}
