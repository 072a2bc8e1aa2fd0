import { describe, expect, it } from 'vitest';
import { WatchSettingsPatch } from './watch.ts';

describe('watch.setSettings patch', () => {
  it('carries only the fields it names (no defaults filled in, which would reset the other stored values)', () => {
    expect(WatchSettingsPatch.parse({ thresholds: { diskPercent: 10 } })).toEqual({ thresholds: { diskPercent: 10 } });
    expect(WatchSettingsPatch.parse({ intervals: { scrapeSeconds: 2 }, retention: {} })).toEqual({ intervals: { scrapeSeconds: 2 }, retention: {} });
  });

  it('still checks each named field, naming it and its bounds, and refuses unknown ones', () => {
    const bad = WatchSettingsPatch.safeParse({ thresholds: { diskPercent: 100, loadPerCpu: 0.1 } });
    expect(bad.error?.issues.map((i) => [i.path.join('.'), i.message])).toEqual([
      ['thresholds.diskPercent', 'expected percent from 1 to 99'],
      ['thresholds.loadPerCpu', 'expected load per CPU from 0.5 to 50'],
    ]);
    expect(WatchSettingsPatch.safeParse({ thresholds: { diskPercnt: 50 } }).success).toBe(false);
  });
});
