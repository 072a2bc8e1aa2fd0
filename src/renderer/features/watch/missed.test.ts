import { describe, expect, it } from 'vitest';
import { awayReport, firingNow, newlyFiring, type MissedServer } from './missed.ts';

const ep = (name: string, labels: Record<string, string>, from: number, to: number | null) => ({ name, labels: { alertname: name, server: 'prod-1', ...labels }, from, to });
const server = (episodes: ReturnType<typeof ep>[], error: string | null = null): MissedServer => ({ serverId: 's1', serverName: 'prod-1', since: 0, episodes, error });

describe('what fired while the app was away, and which alerts are new', () => {
  it('lists the episodes in time order without the always-firing watchdog nor one already firing at the last look; a server with nothing drops out, one with an error stays', () => {
    const report = [
      server([ep('Watchdog', {}, 1, null), ep('DiskFull', { mountpoint: '/' }, 30, 40), ep('BackupFailed', { job_name: 'nightly' }, 60_000, null), ep('LoadHigh', {}, 15_000, null)]),
      { ...server([ep('Watchdog', {}, 1, null)]), serverId: 's2', serverName: 'quiet' },
      { ...server([], 'Prometheus is not reachable'), serverId: 's3', serverName: 'gone' },
    ];
    const away = awayReport(report);
    expect(away.map((s) => s.serverName)).toEqual(['prod-1', 'gone']);
    // LoadHigh fires since within history's resolution of the last look (since = 0): it was seen then.
    expect(away[0]!.episodes.map((e) => e.name)).toEqual(['DiskFull', 'BackupFailed']);
    expect(away[1]!.error).toBe('Prometheus is not reachable');
  });

  it('names what fires now in words: the rule, the server and what it is about', () => {
    const now = firingNow([server([ep('BackupFailed', { job_name: 'nightly', database: 'shop' }, 10, null), ep('DiskFull', {}, 1, 5), ep('Watchdog', {}, 1, null)])]);
    expect(now).toEqual([{ key: expect.any(String), serverId: 's1', title: 'Backup failed', message: 'Backup failed on prod-1 (backup nightly, database shop)' }]);
  });

  it('notifies an alert once when it starts firing, not the ones of the first look, and again after it resolved and fired anew', () => {
    const first = newlyFiring(null, firingNow([server([ep('DiskFull', {}, 1, null)])]));
    expect(first.fresh).toEqual([]);
    const second = newlyFiring(first.keys, firingNow([server([ep('DiskFull', {}, 1, null), ep('ContainerUnhealthy', { container: 'sick' }, 50, null)])]));
    expect(second.fresh.map((a) => a.message)).toEqual(['Container unhealthy on prod-1 (container sick)']);
    const third = newlyFiring(second.keys, firingNow([server([ep('DiskFull', {}, 1, null), ep('ContainerUnhealthy', { container: 'sick' }, 50, 60)])]));
    expect(third.fresh).toEqual([]);
    const fourth = newlyFiring(third.keys, firingNow([server([ep('DiskFull', {}, 1, null), ep('ContainerUnhealthy', { container: 'sick' }, 90, null)])]));
    expect(fourth.fresh.map((a) => a.title)).toEqual(['Container unhealthy']);
  });

  it('tells alerts of the same rule apart by their labels and servers', () => {
    const a = firingNow([server([ep('ContainerUnhealthy', { container: 'a' }, 1, null)])]);
    const b = firingNow([server([ep('ContainerUnhealthy', { container: 'a' }, 1, null), ep('ContainerUnhealthy', { container: 'b' }, 2, null)]), { ...server([ep('ContainerUnhealthy', { container: 'a' }, 1, null)]), serverId: 's2' }]);
    expect(newlyFiring(new Set(a.map((x) => x.key)), b).fresh.map((x) => `${x.serverId} ${x.message}`)).toEqual(['s1 Container unhealthy on prod-1 (container b)', 's2 Container unhealthy on prod-1 (container a)']);
  });
});
