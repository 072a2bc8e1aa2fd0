import { describe, expect, it } from 'vitest';
import { anchorStatus, liveStatus, parseHumanDuration, shortDuration } from './uptime.ts';

describe('container status that ticks', () => {
  it('reads Docker human durations', () => {
    expect(parseHumanDuration('Less than a second')).toBe(0);
    expect(parseHumanDuration('About a minute')).toBe(60_000);
    expect(parseHumanDuration('About an hour')).toBe(3_600_000);
    expect(parseHumanDuration('12 seconds')).toBe(12_000);
    expect(parseHumanDuration('1 second')).toBe(1000);
    expect(parseHumanDuration('3 days')).toBe(3 * 86_400_000);
    expect(parseHumanDuration('Created')).toBeNull();
  });

  it('anchors Up and Exited statuses and counts from the anchor', () => {
    const read = 1_700_000_000_000;
    const up = anchorStatus('Up 5 seconds (healthy)', read)!;
    expect(up).toEqual({ prefix: 'Up', since: read - 5000, ago: false, suffix: ' (healthy)' });
    expect(liveStatus('Up 5 seconds (healthy)', up, read + 2000)).toBe('Up 7s (healthy)');
    expect(liveStatus('Up 5 seconds (healthy)', up, read + 65_000)).toBe('Up 1m 10s (healthy)');
    const exited = anchorStatus('Exited (137) 2 minutes ago', read)!;
    expect(exited.prefix).toBe('Exited (137)');
    expect(liveStatus('Exited (137) 2 minutes ago', exited, read + 1000)).toBe('Exited (137) 2m 01s ago');
    expect(anchorStatus('Created', read)).toBeNull();
    expect(liveStatus('Created', null, read)).toBe('Created');
  });

  it('formats durations by magnitude', () => {
    expect(shortDuration(999)).toBe('0s');
    expect(shortDuration(3_600_000 * 2 + 7 * 60_000)).toBe('2h 07m');
    expect(shortDuration(86_400_000 * 4 + 3_600_000 * 3)).toBe('4d 3h');
  });
});
