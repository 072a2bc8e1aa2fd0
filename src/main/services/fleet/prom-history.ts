import { z } from 'zod';
import type { HostSample } from '../../../shared/contract/fleet.ts';
import { AppError } from '../core/errors.ts';
import { WATCH_JOBS } from '../watch/names.ts';

export type HistoryRange = '1h' | '6h' | '24h';
const RANGE_SEC: Record<HistoryRange, number> = { '1h': 3_600, '6h': 6 * 3_600, '24h': 24 * 3_600 };
/** Points per chart at most, as the SQLite history buckets them. */
const MAX_POINTS = 360;

/** The server's own node-exporter (peers' exporters are scraped under other jobs). */
const NODE = `job="${WATCH_JOBS.node}"`;

/**
 * One PromQL expression per HostSample field, each reduced to a single series and tagged with the field name in a
 * label `f`, so the whole history is one `query_range` (one round trip over SSH).
 */
function fieldExprs(rateWindowSec: number): [keyof Omit<HostSample, 'at'>, string][] {
  const w = `${rateWindowSec}s`;
  return [
    ['cpuPercent', `100 * (1 - sum(rate(node_cpu_seconds_total{${NODE},mode=~"idle|iowait"}[${w}])) / count(node_cpu_seconds_total{${NODE},mode="idle"}))`],
    ['memTotal', `max(node_memory_MemTotal_bytes{${NODE}})`],
    ['memUsed', `max(node_memory_MemTotal_bytes{${NODE}} - node_memory_MemAvailable_bytes{${NODE}})`],
    ['diskTotal', `max(node_filesystem_size_bytes{${NODE},mountpoint="/"})`],
    ['diskUsed', `max(node_filesystem_size_bytes{${NODE},mountpoint="/"} - node_filesystem_free_bytes{${NODE},mountpoint="/"})`],
    ['load1', `max(node_load1{${NODE}})`],
    ['load5', `max(node_load5{${NODE}})`],
    ['load15', `max(node_load15{${NODE}})`],
    ['uptime', `max(node_time_seconds{${NODE}} - node_boot_time_seconds{${NODE}})`],
  ];
}

/** The `query_range` parameters of a host history of `range` ending at `now` (ms). */
export function hostHistoryQuery(range: HistoryRange, now: number): { query: string; start: number; end: number; step: number } {
  const span = RANGE_SEC[range];
  const step = Math.max(5, Math.round(span / MAX_POINTS));
  const query = fieldExprs(Math.max(60, 2 * step))
    .map(([field, expr]) => `label_replace(${expr}, "f", "${field}", "", "")`)
    .join(' or ');
  const end = Math.floor(now / 1000);
  return { query, start: end - span, end, step };
}

const Matrix = z.object({
  status: z.literal('success'),
  data: z.object({
    resultType: z.literal('matrix'),
    result: z.array(z.object({ metric: z.record(z.string(), z.string()), values: z.array(z.tuple([z.number(), z.string()])) })),
  }),
});

const FIELDS = new Set<string>(['cpuPercent', 'memTotal', 'memUsed', 'diskTotal', 'diskUsed', 'load1', 'load5', 'load15', 'uptime']);

/**
 * Prometheus' matrix answer → HostSample points in time order. A point needs the memory total (the server was
 * scraped then); a field missing at that time is 0, the CPU null (no rate yet), as in the SQLite samples.
 */
export function hostSamplesFromMatrix(json: unknown): HostSample[] {
  const parsed = Matrix.safeParse(json);
  if (!parsed.success) throw new AppError('REMOTE_COMMAND_FAILED', `Prometheus answered the history query with an unexpected shape: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
  const byAt = new Map<number, Partial<Record<string, number>>>();
  for (const series of parsed.data.data.result) {
    const field = series.metric.f;
    if (!field || !FIELDS.has(field)) continue;
    for (const [ts, raw] of series.values) {
      const value = Number(raw);
      if (!Number.isFinite(value)) continue;
      const at = Math.round(ts * 1000);
      const point = byAt.get(at) ?? {};
      point[field] = value;
      byAt.set(at, point);
    }
  }
  return [...byAt.entries()]
    .filter(([, p]) => p.memTotal !== undefined)
    .sort(([a], [b]) => a - b)
    .map(([at, p]) => ({
      at,
      cpuPercent: p.cpuPercent === undefined ? null : Math.min(100, Math.max(0, p.cpuPercent)),
      memUsed: Math.max(0, Math.round(p.memUsed ?? 0)),
      memTotal: Math.round(p.memTotal ?? 0),
      diskUsed: Math.max(0, Math.round(p.diskUsed ?? 0)),
      diskTotal: Math.round(p.diskTotal ?? 0),
      load1: p.load1 ?? 0,
      load5: p.load5 ?? 0,
      load15: p.load15 ?? 0,
      uptime: Math.max(0, Math.floor(p.uptime ?? 0)),
    }));
}
