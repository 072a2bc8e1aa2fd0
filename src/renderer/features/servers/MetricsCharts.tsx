import { useQuery } from '@tanstack/react-query';
import { useEffect, useRef, useState } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { bytes, percent } from '../../lib/format.ts';
import { queryUtils } from '../../lib/rpc.ts';
import { useFleet } from './fleet.ts';
import { useUi } from '../../app/store.ts';

type Range = '1h' | '6h' | '24h';

/** A theme colour from the stylesheet: the canvas cannot read CSS variables itself. */
function cssColor(name: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || '#888';
}

/** The newest value of each series, for reading without hovering. */
function latest(data: uPlot.AlignedData, series: uPlot.Series[], yFormat: (v: number) => string): string {
  return series
    .map((sr, i) => {
      const ys = data[i + 1] ?? [];
      for (let j = ys.length - 1; j >= 0; j--) {
        const v = ys[j];
        if (v !== null && v !== undefined) return `${String(sr.label)} ${yFormat(v)}`;
      }
      return null;
    })
    .filter(Boolean)
    .join(' · ');
}

function Chart({ title, data, series, yFormat, unit }: { title: string; data: uPlot.AlignedData; series: uPlot.Series[]; yFormat: (v: number) => string; unit: string }) {
  const el = useRef<HTMLDivElement>(null);
  const theme = useUi((s) => s.resolvedTheme);
  useEffect(() => {
    if (!el.current) return;
    const width = el.current.clientWidth || 600;
    const text = cssColor('--text');
    const grid = { stroke: cssColor('--border'), width: 1 };
    const axis = { stroke: text, grid, ticks: grid, font: '12px system-ui, sans-serif', labelFont: '12px system-ui, sans-serif' };
    const plot = new uPlot(
      {
        width,
        height: 200,
        series: [{ label: 'time' }, ...series],
        axes: [
          { ...axis, label: 'time (this computer)', labelSize: 20 },
          { ...axis, label: unit, labelSize: 20, values: (_u, vals) => vals.map((v) => yFormat(v)), size: 76 },
        ],
        legend: { show: true },
        cursor: { drag: { x: false, y: false } },
      },
      data,
      el.current,
    );
    const onResize = () => plot.setSize({ width: el.current?.clientWidth ?? width, height: 200 });
    window.addEventListener('resize', onResize);
    return () => {
      window.removeEventListener('resize', onResize);
      plot.destroy();
    };
  }, [data, series, yFormat, unit, theme]);
  const now = latest(data, series, yFormat) || '—';
  return (
    <figure className="chart" style={{ marginInline: 0, marginTop: 0 }} data-chart={title} aria-label={`${title} in ${unit} over time (now: ${now})`}>
      <div className="row small">
        <span className="muted">{title}</span>
        <span data-testid={`chart-now-${title}`}>now: {now}</span>
      </div>
      <div ref={el} data-testid={`chart-${title}`} data-theme-drawn={theme} />
    </figure>
  );
}

const COLORS = ['#5b82f0', '#3ecf7a', '#e3a53a', '#f06363', '#a06cf0', '#36b3c9'];

/**
 * Host and container metrics, refreshed as new samples land. The host history comes from Prometheus on the server
 * when Watch is on there (so it covers the time OpenPanel was closed), else from the app's own samples in SQLite.
 */
export function MetricsCharts({ serverId }: { serverId: string }) {
  const orpc = queryUtils();
  const [range, setRange] = useState<Range>('1h');
  const lastSample = useFleet((s) => s.byId[serverId]?.host?.at);
  const host = useQuery(orpc.fleet.hostHistory.queryOptions({ input: { serverId, range } }));
  const cont = useQuery(orpc.fleet.containerHistory.queryOptions({ input: { serverId, range } }));
  const watch = useQuery({ ...orpc.watch.status.queryOptions({ input: { serverId } }), retry: false, staleTime: 15_000 });
  const fromWatch = watch.data?.state === 'on';
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
      <p className="muted small" data-testid="metrics-source" data-source={fromWatch ? 'watch' : 'app'}>
        {fromWatch ? 'Host history from Prometheus on the server (Watch): it covers the time OpenPanel was closed.' : 'Sampled by OpenPanel while it runs; turn on Watch to keep history while it is closed.'}
      </p>
      {h.length === 0 ? (
        <p className="muted">{fromWatch ? 'No history yet: Prometheus has just started.' : 'No samples yet: OpenPanel samples every few seconds while it runs.'}</p>
      ) : (
        <>
          <Chart title="CPU" data={[xs, h.map((p) => p.cpuPercent)]} series={[{ label: 'CPU %', stroke: COLORS[0] }]} yFormat={(v) => percent(v)} unit="CPU %" />
          <Chart title="Memory" data={[xs, h.map((p) => p.memUsed)]} series={[{ label: 'used', stroke: COLORS[1] }]} yFormat={(v) => bytes(v)} unit="memory used" />
          <Chart title="Load" data={[xs, h.map((p) => p.load1), h.map((p) => p.load5)]} series={[{ label: 'load 1', stroke: COLORS[2] }, { label: 'load 5', stroke: COLORS[3] }]} yFormat={(v) => v.toFixed(2)} unit="load average" />
          {containers.length > 0 && (
            <>
              <Chart title="Container CPU" data={[cxs.map((a) => a / 1000), ...align((p) => p.cpuPercent)]} series={containers.map((c, i) => ({ label: c.name, stroke: COLORS[i % COLORS.length] }))} yFormat={(v) => percent(v)} unit="CPU %" />
              <Chart title="Container memory" data={[cxs.map((a) => a / 1000), ...align((p) => p.memUsed)]} series={containers.map((c, i) => ({ label: c.name, stroke: COLORS[i % COLORS.length] }))} yFormat={(v) => bytes(v)} unit="memory used" />
            </>
          )}
        </>
      )}
    </div>
  );
}
