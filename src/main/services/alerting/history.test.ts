import { describe, expect, it } from 'vitest';
import { episodesOf, historyStep, lastEvaluation } from './history.ts';

const series = (labels: Record<string, string>, times: number[]) => ({ metric: { __name__: 'ALERTS', alertstate: 'firing', ...labels }, values: times.map((t): [number, string] => [t, '1']) });

describe('episodesOf', () => {
  it('splits a series at gaps longer than 1.5 steps and marks the last one ongoing when present at the last evaluation', () => {
    const s = series({ alertname: 'DiskFull', server: 'a', severity: 'warning' }, [100, 115, 130, 400, 415]);
    expect(lastEvaluation(100_000, 420_000, 15)).toBe(415_000);
    const out = episodesOf([s], 15, lastEvaluation(100_000, 420_000, 15));
    expect(out).toEqual([
      { name: 'DiskFull', labels: { alertname: 'DiskFull', server: 'a', severity: 'warning' }, from: 400_000, to: null },
      { name: 'DiskFull', labels: { alertname: 'DiskFull', server: 'a', severity: 'warning' }, from: 100_000, to: 130_000 },
    ]);
  });

  it('ends an episode that stopped before until, and leaves the always-firing Watchdog out', () => {
    const out = episodesOf([series({ alertname: 'BackupFailed' }, [10, 25]), series({ alertname: 'Watchdog' }, [10, 25, 40])], 15, 40_000);
    expect(out).toEqual([{ name: 'BackupFailed', labels: { alertname: 'BackupFailed' }, from: 10_000, to: 25_000 }]);
  });

  it('chooses a step that keeps a week under Prometheus’s point limit', () => {
    expect(historyStep(0, 3600_000)).toBe(15);
    const week = 7 * 24 * 3600_000;
    expect(week / 1000 / historyStep(0, week)).toBeLessThanOrEqual(11_000);
  });
});
