import type { AlertEpisode } from '../../../shared/contract/alerting.ts';

/** One series of a Prometheus query_range answer (matrix). */
export interface MatrixSeries {
  metric: Record<string, string>;
  values: [number, string][];
}

/** Alerts that are not events: the always-firing Watchdog. */
const NOT_EVENTS = new Set(['Watchdog']);

/** A step that keeps a range under Prometheus's 11 000 points per series, never below the evaluation interval. */
export function historyStep(fromMs: number, toMs: number, minStepSeconds = 15): number {
  return Math.max(minStepSeconds, Math.ceil((toMs - fromMs) / 1000 / 10_000));
}

/** The last time a range query evaluates at: start + k × step, not after end. */
export function lastEvaluation(startMs: number, endMs: number, stepSeconds: number): number {
  return startMs + Math.floor((endMs - startMs) / (stepSeconds * 1000)) * stepSeconds * 1000;
}

/**
 * `ALERTS{alertstate="firing"}` over a range → one episode per uninterrupted firing period of each alert. A gap of
 * more than 1.5 steps ends an episode; an episode still present at the query's last evaluation is ongoing
 * (to = null). Sorted by start, newest first.
 */
export function episodesOf(series: readonly MatrixSeries[], stepSeconds: number, lastEvalMs: number): AlertEpisode[] {
  const gapMs = stepSeconds * 1500;
  const out: AlertEpisode[] = [];
  for (const s of series) {
    const name = s.metric.alertname ?? '';
    if (!name || NOT_EVENTS.has(name)) continue;
    const labels = Object.fromEntries(Object.entries(s.metric).filter(([k]) => k !== '__name__' && k !== 'alertstate'));
    const times = s.values.map(([t]) => Math.round(t * 1000)).sort((a, b) => a - b);
    let from: number | null = null;
    let last = 0;
    for (const t of times) {
      if (from !== null && t - last > gapMs) {
        out.push({ name, labels, from, to: last });
        from = null;
      }
      from ??= t;
      last = t;
    }
    if (from !== null) out.push({ name, labels, from, to: Math.abs(lastEvalMs - last) < stepSeconds * 500 ? null : last });
  }
  return out.sort((a, b) => b.from - a.from);
}
