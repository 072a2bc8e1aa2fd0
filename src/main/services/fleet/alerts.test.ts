import { describe, expect, it } from 'vitest';
import type { Alert } from '../../../shared/contract/fleet.ts';
import type { Settings } from '../../../shared/contract/settings.ts';
import { AlertEngine } from './alerts.ts';

const ALL: Settings['alerts'] = { restartLoop: true, unhealthy: true, unreachable: true, diskPercent: 90 };

function engine(settings: Partial<Settings['alerts']> = {}, unreachableAfterMs = 30_000) {
  let current = { ...ALL, ...settings };
  const e = new AlertEngine(() => current, unreachableAfterMs);
  const raised: Alert[] = [];
  e.on('alert', (a) => raised.push(a));
  return { e, raised, set: (patch: Partial<Settings['alerts']>) => (current = { ...current, ...patch }) };
}

const ID = 'c0ffee'.padEnd(64, '0');
const ev = (action: string, time: number, id = ID, name: string | null = 'crashy') => ({ action, id, name, time });

describe('AlertEngine: once per episode, named, switchable', () => {
  it('raises a restart loop at the third exit within 2 minutes, once while it lasts, again only after the container is gone', () => {
    const { e, raised } = engine();
    e.containerEvent('s1', 'prod-1', ev('die', 0));
    e.containerEvent('s1', 'prod-1', ev('die', 1_000));
    expect(raised).toEqual([]);
    e.containerEvent('s1', 'prod-1', ev('die', 2_000));
    expect(raised).toHaveLength(1);
    expect(raised[0]).toMatchObject({ kind: 'restart-loop', serverId: 's1', containerId: ID, message: 'crashy on prod-1 is in a restart loop (3 exits in 2 min)' });
    for (let t = 3_000; t < 60_000; t += 1_000) e.containerEvent('s1', 'prod-1', ev('die', t));
    expect(raised).toHaveLength(1);
    expect(e.forServer('s1').map((a) => a.kind)).toEqual(['restart-loop']);
    e.containerEvent('s1', 'prod-1', ev('destroy', 61_000));
    expect(e.forServer('s1')).toEqual([]);
    // Its exits are forgotten with it: a new episode needs three exits again.
    e.containerEvent('s1', 'prod-1', ev('die', 62_000));
    e.containerEvent('s1', 'prod-1', ev('die', 63_000));
    expect(raised).toHaveLength(1);
    e.containerEvent('s1', 'prod-1', ev('die', 64_000));
    expect(raised).toHaveLength(2);
    expect(raised[1]!.id).not.toBe(raised[0]!.id);
  });

  it('does not count exits spread over more than 2 minutes as a loop', () => {
    const { e, raised } = engine();
    for (let t = 0; t < 10 * 61_000; t += 61_000) e.containerEvent('s1', 'prod-1', ev('die', t));
    expect(raised).toEqual([]);
  });

  it('falls back to the short container id when Docker gives no name', () => {
    const { e, raised } = engine();
    e.containerEvent('s1', 'prod-1', ev('health_status: unhealthy', 0, ID, null));
    expect(raised[0]!.message).toBe(`${ID.slice(0, 12)} on prod-1 is unhealthy`);
  });

  it('raises unhealthy once, clears it when healthy again, and raises the next episode', () => {
    const { e, raised } = engine();
    e.containerEvent('s1', 'prod-1', ev('health_status: unhealthy', 0, ID, 'sick'));
    e.containerEvent('s1', 'prod-1', ev('health_status: unhealthy', 1_000, ID, 'sick'));
    expect(raised.map((a) => a.message)).toEqual(['sick on prod-1 is unhealthy']);
    e.containerEvent('s1', 'prod-1', ev('health_status: healthy', 2_000, ID, 'sick'));
    expect(e.forServer('s1')).toEqual([]);
    e.containerEvent('s1', 'prod-1', ev('health_status: unhealthy', 3_000, ID, 'sick'));
    expect(raised).toHaveLength(2);
    // Containers and servers are told apart.
    e.containerEvent('s2', 'prod-2', ev('health_status: unhealthy', 3_000, ID, 'sick'));
    expect(raised.map((a) => a.serverId)).toEqual(['s1', 's1', 's2']);
    e.containerEvent('s1', 'prod-1', ev('destroy', 4_000, ID, 'sick'));
    expect(e.forServer('s1')).toEqual([]);
    expect(e.forServer('s2')).toHaveLength(1);
  });

  it('raises unreachable only after the server was down for the configured time, once, and clears it when ready', () => {
    const { e, raised } = engine({}, 30_000);
    e.connection('s1', 'prod-1', 'connecting', null, 0);
    e.connection('s1', 'prod-1', 'reconnecting', 'timed out', 1_000);
    e.connection('s1', 'prod-1', 'reconnecting', 'timed out', 30_999);
    expect(raised).toEqual([]);
    e.connection('s1', 'prod-1', 'failed', 'connect ECONNREFUSED', 31_000);
    expect(raised.map((a) => a.message)).toEqual(['prod-1 is unreachable: connect ECONNREFUSED']);
    e.connection('s1', 'prod-1', 'reconnecting', null, 60_000);
    expect(raised).toHaveLength(1);
    e.connection('s1', 'prod-1', 'ready', null, 61_000);
    expect(e.forServer('s1')).toEqual([]);
    // The clock starts again: 29 s of a new outage raise nothing, 30 s raise the next episode.
    e.connection('s1', 'prod-1', 'reconnecting', null, 62_000);
    e.connection('s1', 'prod-1', 'reconnecting', null, 91_000);
    expect(raised).toHaveLength(1);
    e.connection('s1', 'prod-1', 'reconnecting', null, 92_000);
    expect(raised).toHaveLength(2);
    expect(raised[1]!.message).toBe('prod-1 is unreachable');
  });

  it('raises a full disk above the threshold once and clears it below', () => {
    const { e, raised, set } = engine({ diskPercent: 90 });
    e.disk('s1', 'prod-1', 90, 100);
    expect(raised).toEqual([]);
    e.disk('s1', 'prod-1', 95, 100);
    e.disk('s1', 'prod-1', 96, 100);
    expect(raised.map((a) => a.message)).toEqual(['prod-1: disk / is 95 % full']);
    set({ diskPercent: 97 });
    e.disk('s1', 'prod-1', 96, 100);
    expect(e.forServer('s1')).toEqual([]);
    e.disk('s1', 'prod-1', 0, 0);
    expect(raised).toHaveLength(1);
  });

  it('raises nothing that the settings switched off', () => {
    const { e, raised } = engine({ restartLoop: false, unhealthy: false, unreachable: false }, 0);
    for (let t = 0; t < 5; t++) e.containerEvent('s1', 'prod-1', ev('die', t));
    e.containerEvent('s1', 'prod-1', ev('health_status: unhealthy', 5));
    e.connection('s1', 'prod-1', 'failed', 'down', 10);
    e.connection('s1', 'prod-1', 'failed', 'down', 1_000_000);
    expect(raised).toEqual([]);
  });
});
