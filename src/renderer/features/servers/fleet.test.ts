import { describe, expect, it } from 'vitest';
import type { ServerSnapshot } from '../../../shared/contract/fleet.ts';
import { perFrame, useFleet } from './fleet-store.ts';

const snap = (serverId: string, load1: number): ServerSnapshot => ({
  serverId,
  name: serverId,
  state: 'ready',
  error: null,
  host: { at: 1, cpuPercent: 5, memTotal: 100, memUsed: 50, diskTotal: 100, diskUsed: 10, load1, load5: 0, load15: 0, uptime: 10 },
  containers: null,
  alerts: [],
});

describe('fleet feed', () => {
  it('hands over the latest item per key once per frame', () => {
    const frames: (() => void)[] = [];
    const flushed: ServerSnapshot[][] = [];
    const push = perFrame<ServerSnapshot>((s) => s.serverId, (items) => flushed.push(items), (cb) => frames.push(cb));
    push(snap('a', 1));
    push(snap('b', 1));
    push(snap('a', 2));
    expect(frames).toHaveLength(1);
    expect(flushed).toHaveLength(0);
    frames.shift()!();
    expect(flushed).toEqual([[snap('a', 2), snap('b', 1)]]);
    push(snap('b', 3));
    expect(frames).toHaveLength(1);
  });

  it('applies several snapshots in one store update and skips ones it already has', () => {
    const updates: unknown[] = [];
    const off = useFleet.subscribe((st) => updates.push(st.byId));
    useFleet.getState().setMany([snap('x', 1), snap('y', 1)]);
    expect(updates).toHaveLength(1);
    const before = useFleet.getState().byId;
    useFleet.getState().setMany([snap('x', 1)]);
    expect(useFleet.getState().byId).toBe(before);
    useFleet.getState().setMany([snap('x', 1), snap('y', 2)]);
    expect(useFleet.getState().byId.y!.host!.load1).toBe(2);
    expect(useFleet.getState().byId.x).toBe(before.x);
    off();
  });
});
