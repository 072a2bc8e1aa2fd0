import { describe, expect, it } from 'vitest';
import type { HostSample } from '../../../shared/contract/fleet.ts';
import { mergeHistory } from './history.ts';
import { hostHistoryQuery, hostSamplesFromMatrix } from './prom-history.ts';

const series = (f: string, values: [number, string][]) => ({ metric: { f }, values });
const matrix = (result: ReturnType<typeof series>[]) => ({ status: 'success', data: { resultType: 'matrix', result } });

describe('host history from Prometheus: PromQL → HostSample', () => {
  it('asks one query_range for every field, of the own node-exporter only, over the range with ≤ 360 steps', () => {
    const now = 1_700_000_000_500;
    const q = hostHistoryQuery('6h', now);
    expect(q.end).toBe(1_700_000_000);
    expect(q.end - q.start).toBe(6 * 3600);
    expect(q.step).toBe(60);
    expect((q.end - q.start) / q.step).toBeLessThanOrEqual(360);
    for (const f of ['cpuPercent', 'memUsed', 'memTotal', 'diskUsed', 'diskTotal', 'load1', 'load5', 'load15', 'uptime']) expect(q.query).toContain(`"f", "${f}"`);
    // Every selector names the own job, so a peer's exporter scraped by this Prometheus never mixes in.
    const selectors = q.query.match(/node_\w+\{[^}]*\}/g) ?? [];
    expect(selectors).toHaveLength(13);
    expect(q.query.match(/node_\w+/g)).toHaveLength(13);
    for (const s of selectors) expect(s).toContain('job="node"');
    expect(hostHistoryQuery('1h', now).step).toBe(10);
    expect(hostHistoryQuery('24h', now).step).toBe(240);
  });

  it('joins the tagged series by time into samples in time order, in ms, with bytes rounded', () => {
    const json = matrix([
      series('load1', [
        [1000, '0.5'],
        [990, '0.25'],
      ]),
      series('memTotal', [
        [990, '2048000000'],
        [1000, '2048000000'],
      ]),
      series('memUsed', [
        [990, '1000000000.4'],
        [1000, '1100000000.6'],
      ]),
      series('cpuPercent', [[1000, '37.5']]),
      series('diskTotal', [[1000, '10000']]),
      series('diskUsed', [[1000, '2500']]),
      series('load5', [[1000, '0.75']]),
      series('load15', [[1000, '1.25']]),
      series('uptime', [[1000, '3600.9']]),
    ]);
    const out = hostSamplesFromMatrix(json);
    expect(out).toEqual<HostSample[]>([
      { at: 990_000, cpuPercent: null, memUsed: 1_000_000_000, memTotal: 2_048_000_000, diskUsed: 0, diskTotal: 0, load1: 0.25, load5: 0, load15: 0, uptime: 0 },
      { at: 1_000_000, cpuPercent: 37.5, memUsed: 1_100_000_001, memTotal: 2_048_000_000, diskUsed: 2500, diskTotal: 10000, load1: 0.5, load5: 0.75, load15: 1.25, uptime: 3600 },
    ]);
  });

  it('drops times without a memory total (not scraped then), unknown tags and NaN values; clamps the CPU to 0–100', () => {
    const json = matrix([
      series('memTotal', [[2000, '100']]),
      series('cpuPercent', [
        [1990, '50'],
        [2000, '100.0000001'],
      ]),
      series('memUsed', [[2000, 'NaN']]),
      series('something', [[2000, '7']]),
    ]);
    expect(hostSamplesFromMatrix(json)).toEqual([{ at: 2_000_000, cpuPercent: 100, memUsed: 0, memTotal: 100, diskUsed: 0, diskTotal: 0, load1: 0, load5: 0, load15: 0, uptime: 0 }]);
    expect(hostSamplesFromMatrix(matrix([]))).toEqual([]);
  });

  it('refuses an answer that is not a matrix, naming what is wrong', () => {
    expect(() => hostSamplesFromMatrix({ status: 'error', errorType: 'bad_data', error: 'parse error' })).toThrow(/Prometheus answered the history query with an unexpected shape/);
    expect(() => hostSamplesFromMatrix({ status: 'success', data: { resultType: 'vector', result: [] } })).toThrow(expect.objectContaining({ code: 'REMOTE_COMMAND_FAILED' }));
  });

  it("keeps the app's own samples from before Prometheus' first point only", () => {
    const s = (at: number): HostSample => ({ at, cpuPercent: null, memUsed: at, memTotal: 1, diskUsed: 0, diskTotal: 0, load1: 0, load5: 0, load15: 0, uptime: 0 });
    expect(mergeHistory([s(1), s(2), s(5)], [s(3), s(4)]).map((x) => x.at)).toEqual([1, 2, 3, 4]);
    expect(mergeHistory([s(1), s(2)], []).map((x) => x.at)).toEqual([1, 2]);
  });
});
